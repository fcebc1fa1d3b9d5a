// The simulator's shared machinery: routing by path prefix, users, keys, windows, fault rules,
// the message log and the /_sim endpoints. Provider wire formats live in simulator_<provider>.cpp.
#include "daemon/sim/simulator.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <iterator>

#include "daemon/sim/simulator_internal.hpp"

namespace outreach {
namespace sim_detail {

// ---- request parsing ------------------------------------------------------------------------

std::string percent_decode(std::string_view text, bool plus_is_space) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Params parse_params(std::string_view text) {
  Params params;
  while (!text.empty()) {
    auto amp = text.find('&');
    auto pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    auto key = pair.substr(0, eq);
    auto value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    params.emplace_back(percent_decode(key, true), percent_decode(value, true));
  }
  return params;
}

std::optional<std::string> param(Params const& params, std::string_view name) {
  for (auto const& [key, value] : params)
    if (key == name) return value;
  return std::nullopt;
}

std::optional<json::object> parse_body_object(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

std::optional<std::string> string_field(json::object const& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->value().is_string() || it->value().as_string().empty()) return std::nullopt;
  return std::string(it->value().as_string());
}

// ---- small helpers --------------------------------------------------------------------------

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool is_decimal_id(std::string_view text) {
  if (text.empty() || text.size() > 20) return false;
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool valid_x_username(std::string_view text) {
  if (text.empty() || text.size() > 15) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::size_t code_points(std::string_view utf8) {
  // Counting lead bytes is enough here: the limit check only needs the length, not validation.
  return static_cast<std::size_t>(
      std::count_if(utf8.begin(), utf8.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string iso_time_ms(TimePoint t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> tod{t - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), static_cast<int>(tod.hours().count()),
                static_cast<int>(tod.minutes().count()), static_cast<int>(tod.seconds().count()),
                static_cast<int>(tod.subseconds().count()));
  return buf;
}

std::int64_t seconds_ceil(Duration d) {
  const auto ms = d.count();
  if (ms <= 0) return 0;
  return (ms + 999) / 1000;
}

std::int64_t unix_seconds_ceil(TimePoint t) { return seconds_ceil(t.time_since_epoch()); }

std::string_view x_code_text(int code) {
  switch (code) {
    case 349: return "You cannot send messages to this user.";
    case 150: return "You cannot send messages to users who are not following you.";
    case 214: return "This user only accepts Direct Messages from people they follow.";
    case 476: return "Sender is not verified to send message requests.";
    case 226:
      return "This request looks like it might be automated. To protect our users from spam and other malicious "
             "activity, we can't complete this action right now.";
    case 326: return "To protect our users from spam and other malicious activity, this account is temporarily locked.";
    case 64: return "Your account is suspended and is not permitted to access this feature.";
    case 89: return "Invalid or expired token.";
    case 88: return "Rate limit exceeded.";
    case 354: return "The text of your direct message is over the max character limit.";
    case 50: return "User not found.";
    default: return "Unknown error.";
  }
}

int x_code_for(SimAccountState state) {
  switch (state) {
    case SimAccountState::automated: return 226;
    case SimAccountState::locked: return 326;
    case SimAccountState::suspended: return 64;
    case SimAccountState::expired: return 89;
    case SimAccountState::ok: return 0;
  }
  return 0;
}

HttpResponse json_response(int status, json::value const& body) {
  HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = json::serialize(body);
  return r;
}

void set_header(HttpResponse& response, std::string name, std::string value) {
  for (auto& [key, existing] : response.headers) {
    if (lower(key) == lower(name)) {
      existing = std::move(value);
      return;
    }
  }
  response.headers.emplace_back(std::move(name), std::move(value));
}

// ---- faults ---------------------------------------------------------------------------------

bool FaultPlan::after_processing() const {
  if (!fault) return false;
  switch (fault->kind) {
    case SimFaultKind::drop_after_delivery:
    case SimFaultKind::close_mid_body:
    case SimFaultKind::malformed_json: return true;
    case SimFaultKind::server_error: return fault->deliver;
    default: return false;
  }
}

HttpResponse render_fault(Dialect const& dialect, SimFault const& fault, TimePoint now) {
  switch (fault.kind) {
    case SimFaultKind::rate_limited: {
      RateInfo info;
      info.limit = 0;
      info.remaining = 0;
      info.retry_after = fault.retry_after;
      info.reset_at = now + fault.retry_after;
      info.headers = fault.reset_headers;
      return dialect.rate_limited(info);
    }
    case SimFaultKind::server_error: return dialect.server_error(fault.status);
    case SimFaultKind::session_expired: return dialect.session_invalid();
    case SimFaultKind::automated: return dialect.account_error(SimAccountState::automated);
    case SimFaultKind::locked: return dialect.account_error(SimAccountState::locked);
    case SimFaultKind::suspended: return dialect.account_error(SimAccountState::suspended);
    case SimFaultKind::quota_exhausted: return dialect.quota(false);
    case SimFaultKind::subscription_inactive: return dialect.quota(true);
    case SimFaultKind::proxy_error: return dialect.proxy_error(fault.status);
    case SimFaultKind::cannot_dm: return dialect.cannot_dm(fault.code);
    case SimFaultKind::slow:
    case SimFaultKind::drop_before_delivery:  // never answered: finish() closes the connection
    case SimFaultKind::drop_after_delivery:
    case SimFaultKind::close_mid_body:
    case SimFaultKind::malformed_json: break;
  }
  return dialect.server_error(500);
}

ServerReply finish(Dialect const& dialect, FaultPlan const& plan, HttpResponse response) {
  ServerReply reply;
  reply.delay = plan.delay;
  if (plan.fault && plan.fault->kind == SimFaultKind::drop_before_delivery) {
    // The request was read and left unprocessed (nothing delivered, no token rotated).
    reply.action = ServerReply::Action::drop_after_request;
  } else if (plan.after_processing()) {
    switch (plan.fault->kind) {
      case SimFaultKind::drop_after_delivery: reply.action = ServerReply::Action::drop_after_request; break;
      case SimFaultKind::close_mid_body: reply.action = ServerReply::Action::close_mid_body; break;
      case SimFaultKind::malformed_json:
        // Half a JSON document never parses: an object or array loses its closing bracket.
        response.body = response.body.size() >= 2 ? response.body.substr(0, response.body.size() / 2) : "{";
        break;
      case SimFaultKind::server_error: response = dialect.server_error(plan.fault->status); break;
      default: break;
    }
  }
  reply.response = std::move(response);
  return reply;
}

std::optional<HttpResponse> inbox_refusal(Dialect const& dialect, AccountRuntime const& account) {
  switch (account.state) {
    case SimAccountState::ok:
    case SimAccountState::automated: return std::nullopt;  // 226 refuses writes, not reads
    case SimAccountState::expired: return dialect.session_invalid();
    case SimAccountState::locked:
    case SimAccountState::suspended: return dialect.account_error(account.state);
  }
  return std::nullopt;
}

// ---- inbox ----------------------------------------------------------------------------------

namespace {
constexpr std::uint64_t kCursorMask = 0x5BD1E9955BD1E995ULL;
constexpr std::uint64_t kMessageIdBase = 7000000000000000000ULL;
}  // namespace

std::string inbox_cursor(std::uint64_t before) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "c%016llx", static_cast<unsigned long long>(before ^ kCursorMask));
  return buf;
}

std::optional<std::uint64_t> parse_inbox_cursor(std::string_view cursor) {
  if (cursor.size() != 17 || cursor[0] != 'c') return std::nullopt;
  std::uint64_t v = 0;
  for (char c : cursor.substr(1)) {
    int d = -1;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    if (d < 0) return std::nullopt;
    v = (v << 4) | static_cast<std::uint64_t>(d);
  }
  v ^= kCursorMask;
  if (v == 0) return std::nullopt;
  return v;
}

std::string message_id_for(std::uint64_t number) { return std::to_string(kMessageIdBase + number); }

std::string conversation_id(std::string const& a, std::string const& b) {
  const bool a_first = a.size() < b.size() || (a.size() == b.size() && a < b);
  return a_first ? a + "-" + b : b + "-" + a;
}

void add_recipient(RequestInfo& info, std::string_view raw, std::optional<UserView> const& user) {
  if (!raw.empty()) info.recipients.push_back(lower(raw));
  if (user) {
    info.recipients.push_back(lower(user->username));
    if (!user->id.empty()) info.recipients.push_back(user->id);
  }
}

// ---- state ----------------------------------------------------------------------------------

SimState::SimState(Scenario s, SimClock c) : scenario(std::move(s)), clock(std::move(c)), rng(scenario.seed) {
  started_at = clock();
  for (std::size_t i = 0; i < scenario.users.size(); ++i) {
    auto const& u = scenario.users[i];
    user_by_name.emplace(lower(u.username), i);
    if (!u.id.empty()) user_by_id.emplace(u.id, i);
  }
  accounts.reserve(scenario.accounts.size());
  for (auto const& a : scenario.accounts) {
    AccountRuntime rt;
    rt.config = &a;
    rt.state = a.state;
    rt.access_token = a.access_token;
    rt.refresh_token = a.refresh_token;
    // An x_api account in state "expired" starts with an access token that is already dead, so
    // the client must refresh; the refresh token itself still works.
    rt.access_expires_at = a.state == SimAccountState::expired ? started_at : started_at + scenario.x_api.access_token_ttl;
    if (a.provider == ProviderKind::x_api && a.state == SimAccountState::expired) rt.state = SimAccountState::ok;
    accounts.push_back(std::move(rt));
  }
  inboxes.resize(accounts.size());
  fault_seen.assign(scenario.faults.size(), 0);
  fault_fired.assign(scenario.faults.size(), 0);
}

namespace {

UserView view_of(SimUser const& u) {
  return UserView{u.username, u.id, u.name, u.exists, u.can_dm, u.refusal_code, u.protected_account, u.suspended};
}

UserView range_user(SimUserRange const& r, std::uint64_t i) {
  UserView v;
  v.username = r.prefix + std::to_string(i);
  v.id = std::to_string(r.first_id + i);
  v.name = v.username;
  v.exists = !(r.missing_every != 0 && (i + 1) % r.missing_every == 0);
  v.can_dm = !(r.closed_every != 0 && (i + 1) % r.closed_every == 0);
  return v;
}

bool parse_index(std::string_view digits, std::uint64_t& out) {
  if (!is_decimal_id(digits) || (digits.size() > 1 && digits[0] == '0')) return false;
  std::uint64_t v = 0;
  for (char c : digits) {
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

}  // namespace

std::optional<UserView> SimState::user_by_username(std::string_view username) const {
  auto key = lower(username);
  if (auto it = user_by_name.find(key); it != user_by_name.end()) return view_of(scenario.users[it->second]);
  for (auto const& r : scenario.user_ranges) {
    auto prefix = lower(r.prefix);
    std::uint64_t i = 0;
    if (key.size() > prefix.size() && key.starts_with(prefix) && parse_index(std::string_view(key).substr(prefix.size()), i) &&
        i < r.count)
      return range_user(r, i);
  }
  return std::nullopt;
}

std::optional<UserView> SimState::user_by_user_id(std::string_view id) const {
  if (auto it = user_by_id.find(std::string(id)); it != user_by_id.end()) return view_of(scenario.users[it->second]);
  std::uint64_t v = 0;
  if (!parse_index(id, v)) return std::nullopt;
  for (auto const& r : scenario.user_ranges)
    if (v >= r.first_id && v - r.first_id < r.count) return range_user(r, v - r.first_id);
  return std::nullopt;
}

AccountRuntime* SimState::account_by_token(ProviderKind provider, std::string_view token) {
  for (auto& a : accounts)
    if (a.config->provider == provider && a.config->token == token) return &a;
  return nullptr;
}

AccountRuntime* SimState::account_by_access_token(std::string_view token) {
  if (token.empty()) return nullptr;
  for (auto& a : accounts)
    if (a.config->provider == ProviderKind::x_api && a.access_token == token) return &a;
  return nullptr;
}

std::optional<HttpResponse> SimState::check_api_key(ProviderKind provider, SimProviderSettings const& settings,
                                                    Dialect const& dialect, std::optional<std::string_view> key) {
  SimApiKey const* found = nullptr;
  if (key)
    for (auto const& k : settings.api_keys)
      if (k.key == *key) found = &k;
  if (!found) return dialect.invalid_key();
  if (found->subscription_inactive) return dialect.quota(true);
  auto& used = key_use[std::string(to_string(provider)) + "\n" + found->key];
  if (found->quota && used >= *found->quota) return dialect.quota(false);
  ++used;
  if (settings.rate_limit) {
    auto window = take_window(std::string(to_string(provider)) + "\nkey\n" + found->key, *settings.rate_limit);
    if (!window.allowed) return dialect.rate_limited(window.info);
  }
  return std::nullopt;
}

SimState::WindowResult SimState::take_window(std::string const& name, SimRateLimit const& limit) {
  auto& w = windows[name];
  const auto t = now();
  if (!w.open || t >= w.start + limit.window) {
    w.open = true;
    w.start = t;
    w.count = 0;
  }
  WindowResult result;
  result.info.limit = limit.limit;
  result.info.reset_at = w.start + limit.window;
  result.info.retry_after = result.info.reset_at - t;
  if (w.count >= limit.limit) {
    result.allowed = false;
    result.info.remaining = 0;
    return result;
  }
  ++w.count;
  result.info.remaining = limit.limit - w.count;
  return result;
}

RateInfo SimState::daily_info(AccountRuntime& account) {
  const auto t = now();
  constexpr Duration kDay = std::chrono::hours(24);
  if (account.daily.open && t >= account.daily.start + kDay) account.daily = Window{};
  RateInfo info;
  info.limit = account.config->daily_cap;
  info.remaining = account.daily.count >= info.limit ? 0 : info.limit - account.daily.count;
  info.reset_at = (account.daily.open ? account.daily.start : t) + kDay;
  info.retry_after = info.reset_at - t;
  return info;
}

FaultPlan SimState::plan_faults(RequestInfo const& info) {
  // Every rule whose filters match counts the request (so `nth` and `every` mean "the n-th request
  // this rule matches", whatever earlier rules did); only the first firing non-slow rule decides.
  FaultPlan plan;
  for (std::size_t i = 0; i < scenario.faults.size(); ++i) {
    auto const& f = scenario.faults[i];
    if (f.provider && *f.provider != info.provider) continue;
    if (f.endpoint != SimEndpoint::any && f.endpoint != info.endpoint) continue;
    if (!f.account.empty() && (!info.account || info.account->config->name != f.account)) continue;
    if (!f.recipient.empty() &&
        std::find(info.recipients.begin(), info.recipients.end(), f.recipient) == info.recipients.end())
      continue;
    const auto seen = ++fault_seen[i];
    if (f.times && fault_fired[i] >= *f.times) continue;
    bool fires = true;
    if (f.rate) {
      // 53 random bits -> [0, 1): the same sequence on every platform for a given seed.
      const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;
      fires = u < *f.rate;
    } else if (!f.nth.empty()) {
      fires = std::find(f.nth.begin(), f.nth.end(), seen) != f.nth.end();
    } else if (f.every != 0) {
      fires = seen % f.every == 0;
    }
    if (!fires) continue;
    if (f.kind == SimFaultKind::slow) {
      ++fault_fired[i];
      plan.delay += f.delay;
    } else if (!plan.fault) {
      ++fault_fired[i];
      plan.fault = &f;
    }
  }
  return plan;
}

SimMessage const& SimState::deliver(ProviderKind provider, AccountRuntime& account, UserView const& recipient,
                                    std::string text) {
  (void)daily_info(account);  // rolls the window over if it ended
  if (!account.daily.open) {
    account.daily.open = true;
    account.daily.start = now();
    account.daily.count = 0;
  }
  ++account.daily.count;

  // Replies that fell due before this DM get the smaller numbers, so ids follow creation times.
  release_replies();
  const std::uint64_t number = ++message_numbers;
  const std::size_t index = index_of(account);

  SimMessage m;
  m.seq = messages.size() + 1;
  m.provider = provider;
  m.account = account.config->name;
  m.sender_id = account.config->user_id;
  m.recipient_id = recipient.id;
  m.recipient_username = recipient.username;
  m.text = std::move(text);
  // Snowflake-looking ids, unique per simulator run, larger for later messages.
  m.message_id = message_id_for(number);
  m.time = now();
  if (!delivered_pairs.emplace(m.recipient_id, m.text).second) ++duplicates;
  ++delivered[static_cast<std::size_t>(provider)];
  inboxes[index].push_back(InboxMessage{number, m.time, false, m.recipient_id, m.recipient_username, m.text});

  // Scripted replies of a listed user: the n-th DM from this account starts their clocks.
  if (auto it = user_by_id.find(recipient.id); it != user_by_id.end()) {
    auto const& user = scenario.users[it->second];
    if (!user.replies.empty()) {
      const auto received = ++dms_received[{index, recipient.id}];
      for (auto const& reply : user.replies) {
        if (reply.dm != received || (!reply.account.empty() && reply.account != account.config->name)) continue;
        pending_replies.push_back(
            PendingReply{m.time + reply.after, ++replies_scheduled, index, user.id, user.username, reply.text});
      }
    }
  }

  messages.push_back(std::move(m));
  if (sink) sink(messages.back());
  return messages.back();
}

void SimState::release_replies() {
  if (pending_replies.empty()) return;
  const auto t = now();
  auto due_end = std::stable_partition(pending_replies.begin(), pending_replies.end(),
                                       [t](PendingReply const& p) { return p.due <= t; });
  if (due_end == pending_replies.begin()) return;
  std::vector<PendingReply> due(std::make_move_iterator(pending_replies.begin()), std::make_move_iterator(due_end));
  pending_replies.erase(pending_replies.begin(), due_end);
  std::sort(due.begin(), due.end(), [](PendingReply const& a, PendingReply const& b) {
    return a.due != b.due ? a.due < b.due : a.order < b.order;
  });
  for (auto& p : due) {
    inboxes[p.account].push_back(
        InboxMessage{++message_numbers, p.due, true, std::move(p.user_id), std::move(p.username), std::move(p.text)});
    ++replies_released;
  }
}

InboxPage SimState::inbox_page(AccountRuntime const& account, std::uint64_t before, std::size_t limit) {
  release_replies();
  auto const& inbox = inboxes[index_of(account)];
  // Numbers grow along the vector: everything below `before` ends at the first number >= before.
  auto end = before == 0 ? inbox.end()
                         : std::lower_bound(inbox.begin(), inbox.end(), before,
                                            [](InboxMessage const& m, std::uint64_t b) { return m.id < b; });
  InboxPage page;
  auto it = end;
  while (it != inbox.begin() && page.messages.size() < limit) {
    --it;
    page.messages.push_back(&*it);
  }
  if (it != inbox.begin() && !page.messages.empty()) {
    page.has_more = true;
    page.next_before = page.messages.back()->id;
  }
  return page;
}

std::string SimState::new_token(std::string_view kind) {
  // splitmix64 over (seed, counter): opaque-looking, unique, and the same on every run.
  std::uint64_t z = scenario.seed + 0x9E3779B97F4A7C15ULL * ++token_counter;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(z));
  return "sim-" + std::string(kind) + "-" + std::to_string(token_counter) + "-" + buf;
}

SendOutcome try_send(SimState& state, ProviderKind provider, AccountRuntime& account,
                     std::optional<UserView> const& recipient, std::string const& text) {
  SendOutcome out;
  out.daily = state.daily_info(account);
  if (account.state != SimAccountState::ok) {
    out.kind = SendOutcome::Kind::account_error;
  } else if (out.daily.remaining == 0) {
    out.kind = SendOutcome::Kind::daily_cap;
  } else if (code_points(text) > kMaxTextCodePoints) {
    out.kind = SendOutcome::Kind::too_long;
  } else if (!recipient || !recipient->visible()) {
    out.kind = SendOutcome::Kind::not_found;
  } else if (!recipient->can_dm) {
    out.kind = SendOutcome::Kind::refused;
    out.refusal_code = recipient->refusal_code;
  } else {
    out.message = &state.deliver(provider, account, *recipient, text);
    out.daily = state.daily_info(account);
  }
  return out;
}

HttpResponse send_refusal(Dialect const& dialect, SendOutcome const& outcome, AccountRuntime const& account,
                          std::string const& recipient) {
  switch (outcome.kind) {
    case SendOutcome::Kind::account_error:
      return account.state == SimAccountState::expired ? dialect.session_invalid() : dialect.account_error(account.state);
    case SendOutcome::Kind::daily_cap: return dialect.daily_cap(outcome.daily);
    case SendOutcome::Kind::too_long: return dialect.text_too_long();
    case SendOutcome::Kind::not_found: return dialect.recipient_not_found(recipient);
    case SendOutcome::Kind::refused: return dialect.cannot_dm(outcome.refusal_code);
    case SendOutcome::Kind::delivered: break;
  }
  return dialect.server_error(500);
}

std::optional<std::string> bearer_token(HttpRequest const& request) {
  auto value = find_header(request.headers, "Authorization");
  if (!value) return std::nullopt;
  constexpr std::string_view kScheme = "bearer ";
  if (value->size() <= kScheme.size() || lower(value->substr(0, kScheme.size())) != kScheme) return std::nullopt;
  auto token = value->substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return std::string(token);
}

void count_request(SimState& state, ProviderKind provider, SimEndpoint endpoint) {
  auto& row = state.requests[static_cast<std::size_t>(provider)];
  ++row[static_cast<std::size_t>(endpoint)];
}

namespace {

ServerReply plain_json(int status, json::value const& body) {
  ServerReply reply;
  reply.response = json_response(status, body);
  return reply;
}

json::object message_json(SimMessage const& m) {
  json::object o;
  o["seq"] = m.seq;
  o["provider"] = to_string(m.provider);
  o["account"] = m.account;
  o["sender_id"] = m.sender_id;
  o["recipient_id"] = m.recipient_id;
  o["recipient_username"] = m.recipient_username;
  o["text"] = m.text;
  o["message_id"] = m.message_id;
  o["time"] = iso_time_ms(m.time);
  return o;
}

json::object stats_object(SimState const& s) {
  json::object requests;
  json::object delivered;
  std::uint64_t delivered_total = 0;
  for (ProviderKind p : kAllProviders) {
    auto const& row = s.requests[static_cast<std::size_t>(p)];
    json::object r;
    r["send"] = row[static_cast<std::size_t>(SimEndpoint::send)];
    r["lookup"] = row[static_cast<std::size_t>(SimEndpoint::lookup)];
    r["token"] = row[static_cast<std::size_t>(SimEndpoint::token)];
    r["inbox"] = row[static_cast<std::size_t>(SimEndpoint::inbox)];
    r["other"] = row[static_cast<std::size_t>(SimEndpoint::any)];
    r["total"] = row[0] + row[1] + row[2] + row[3] + row[4];
    requests[to_string(p)] = std::move(r);
    delivered[to_string(p)] = s.delivered[static_cast<std::size_t>(p)];
    delivered_total += s.delivered[static_cast<std::size_t>(p)];
  }
  requests["_sim"] = s.sim_requests;
  requests["unrouted"] = s.unrouted_requests;
  delivered["total"] = delivered_total;

  json::array faults;
  for (std::size_t i = 0; i < s.scenario.faults.size(); ++i) {
    json::object f;
    f["index"] = i;
    f["kind"] = to_string(s.scenario.faults[i].kind);
    f["seen"] = s.fault_seen[i];
    f["fired"] = s.fault_fired[i];
    faults.push_back(std::move(f));
  }
  std::vector<std::pair<int, std::uint64_t>> sorted(s.statuses.begin(), s.statuses.end());
  std::sort(sorted.begin(), sorted.end());
  json::object statuses;
  for (auto const& [status, n] : sorted) statuses[std::to_string(status)] = n;

  json::object accounts;
  for (auto const& a : s.accounts) {
    json::object o;
    o["provider"] = to_string(a.config->provider);
    o["state"] = to_string(a.state);
    o["daily_cap"] = a.config->daily_cap;
    o["sent_in_window"] = a.daily.count;
    accounts[a.config->name] = std::move(o);
  }

  json::object out;
  out["requests"] = std::move(requests);
  out["delivered"] = std::move(delivered);
  out["duplicates"] = s.duplicates;
  out["replies"] = json::object{{"scheduled", s.replies_scheduled}, {"released", s.replies_released}};
  out["statuses"] = std::move(statuses);
  out["faults"] = std::move(faults);
  out["accounts"] = std::move(accounts);
  return out;
}

ServerReply handle_sim(SimState& s, HttpRequest const& request, Target const& target) {
  ++s.sim_requests;
  if (request.method != "GET") return plain_json(405, json::object{{"error", "the /_sim endpoints only answer GET"}});
  if (target.path == "/messages") {
    std::uint64_t after = 0;
    if (auto a = param(target.query, "after")) {
      if (!parse_index(*a, after)) return plain_json(400, json::object{{"error", "after must be a whole number"}});
    }
    auto provider_filter = param(target.query, "provider");
    if (provider_filter && !parse_provider_kind(*provider_filter))
      return plain_json(400, json::object{{"error", "provider must be getxapi, twitterapi_io, tweetapi or x_api"}});
    json::array out;
    for (auto const& m : s.messages) {
      if (m.seq <= after) continue;
      if (provider_filter && to_string(m.provider) != *provider_filter) continue;
      out.push_back(message_json(m));
    }
    return plain_json(200, out);
  }
  if (target.path == "/inbox") {
    auto name = param(target.query, "account");
    if (!name || name->empty()) return plain_json(400, json::object{{"error", "give ?account=NAME (a scenario account)"}});
    AccountRuntime const* account = nullptr;
    for (auto const& a : s.accounts)
      if (a.config->name == *name) account = &a;
    if (!account) return plain_json(404, json::object{{"error", "no scenario account is named " + *name}});
    s.release_replies();
    json::array out;
    for (auto const& m : s.inboxes[s.index_of(*account)]) {
      out.push_back(json::object{{"message_id", message_id_for(m.id)},
                                 {"time", iso_time_ms(m.time)},
                                 {"direction", m.incoming ? "in" : "out"},
                                 {"user_id", m.user_id},
                                 {"username", m.username},
                                 {"text", m.text}});
    }
    return plain_json(200, out);
  }
  if (target.path == "/stats") return plain_json(200, stats_object(s));
  if (target.path == "/health") return plain_json(200, json::object{{"status", "ok"}});
  return plain_json(404, json::object{{"error", "unknown simulator endpoint; try /_sim/messages, /_sim/inbox or /_sim/stats"}});
}

}  // namespace
}  // namespace sim_detail

using namespace sim_detail;

std::string to_json(SimMessage const& message) { return json::serialize(message_json(message)); }

Simulator::Simulator(Scenario scenario, SimClock clock)
    : state_(std::make_unique<SimState>(std::move(scenario), std::move(clock))) {}
Simulator::~Simulator() = default;
Simulator::Simulator(Simulator&&) noexcept = default;
Simulator& Simulator::operator=(Simulator&&) noexcept = default;

ServerReply Simulator::handle(HttpRequest const& request) {
  auto& s = *state_;
  std::string_view raw = request.target;
  auto q = raw.find('?');
  std::string_view path = raw.substr(0, q);
  Target target;
  if (q != std::string_view::npos) target.query = parse_params(raw.substr(q + 1));

  // The first path segment selects the provider; the rest is that provider's own path.
  auto slash = path.size() > 1 ? path.find('/', 1) : std::string_view::npos;
  std::string_view prefix = path.substr(0, slash);
  target.path = percent_decode(slash == std::string_view::npos ? std::string_view("/") : path.substr(slash), false);

  ServerReply reply;
  if (prefix == "/_sim") {
    reply = handle_sim(s, request, target);
  } else if (prefix == "/getxapi") {
    reply = handle_getxapi(s, request, target);
  } else if (prefix == "/twitterapi_io") {
    reply = handle_twitterapi_io(s, request, target);
  } else if (prefix == "/tweetapi") {
    reply = handle_tweetapi(s, request, target);
  } else if (prefix == "/x_api") {
    reply = handle_x_api(s, request, target);
  } else {
    ++s.unrouted_requests;
    reply = plain_json(404, json::object{{"error",
                                          "no simulated provider at this path; use /getxapi, /twitterapi_io, "
                                          "/tweetapi or /x_api (or /_sim/messages, /_sim/stats)"}});
  }
  if (reply.action == ServerReply::Action::drop_after_request) ++s.statuses[0];
  else ++s.statuses[reply.response.status];
  return reply;
}

std::vector<SimMessage> const& Simulator::messages() const { return state_->messages; }

void Simulator::set_message_sink(SimMessageSink sink) { state_->sink = std::move(sink); }

std::uint64_t Simulator::duplicate_deliveries() const { return state_->duplicates; }

std::string Simulator::stats_json() const { return json::serialize(stats_object(*state_)); }

}  // namespace outreach
