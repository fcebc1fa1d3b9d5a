// Official X API v2 (docs/providers.md#x_api): a user-context OAuth 2.0 Bearer token; errors are
// RFC 7807 "problem" objects, top-level or inside errors[] (even on HTTP 200), with type URIs under
// both api.twitter.com and api.x.com; 429s are told apart by their headers and title.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <vector>

#include "core/providers/codec_support.hpp"

namespace outreach::codec {
namespace {

namespace json = boost::json;

/// What an X error body said. `type` is the problem's path suffix ("usage-capped"), host-free.
struct Problem {
  bool present = false;
  std::string type;
  std::string_view title;
  std::string text;  ///< detail / message, joined over errors[]
  std::optional<std::int64_t> legacy_code;  ///< a v1.1-style numeric errors[].code
};

std::string problem_type(std::string_view uri) {
  constexpr std::string_view kMarker = "/problems/";
  const auto p = uri.find(kMarker);
  if (p == std::string_view::npos) return {};  // "about:blank": the status decides
  std::string_view suffix = uri.substr(p + kMarker.size());
  while (!suffix.empty() && suffix.back() == '/') suffix.remove_suffix(1);
  return std::string(suffix.substr(0, 64));
}

void add_text(std::string& out, std::string_view part) {
  if (part.empty() || out.find(part) != std::string::npos) return;
  if (!out.empty()) out += "; ";
  out += part;
}

Problem read_problem(json::object const& o) {
  Problem p;
  if (!string_member(o, "type").empty() || !string_member(o, "title").empty() || !string_member(o, "detail").empty()) {
    p.present = true;
    p.type = problem_type(string_member(o, "type"));
    p.title = string_member(o, "title");
    add_text(p.text, first_string(o, {"detail", "message"}));
  }
  if (auto const* errors = array_member(o, "errors")) {
    for (json::value const& v : *errors) {
      auto const* e = v.if_object();
      if (!e) continue;
      p.present = true;
      if (p.type.empty()) p.type = problem_type(string_member(*e, "type"));
      if (p.title.empty()) p.title = string_member(*e, "title");
      add_text(p.text, first_string(*e, {"detail", "message"}));
      if (!p.legacy_code) {
        if (auto code = int_member(*e, "code"); code && is_known_x_code(*code)) p.legacy_code = code;
      }
    }
  }
  if (p.text.empty()) add_text(p.text, p.title);
  return p;
}

/// Sets the signal for an X error answer (non-2xx, or a 2xx carrying only errors[]).
void classify_problem(ProviderResult& r, Problem const& p, bool readable, Redactor const& redactor,
                      HttpResponse const& response, RateHints const& hints) {
  const int s = response.status;
  r.provider_code = redactor.clean(p.type);
  r.message = readable ? redactor.clean(p.text) : unreadable_body_text(redactor, s, response.body);
  auto x_side = [&] { return (p.legacy_code && apply_x_code(r, *p.legacy_code)) || apply_x_evidence(r, r.message); };
  const std::string_view type = p.type;

  if (s == 401) {
    r.signal = ProviderSignal::auth_expired;  // the worker refreshes once, then stops the account
  } else if (s == 429) {
    if (hints.daily_exhausted)
      r.signal = ProviderSignal::daily_limit;  // the per-user 24 h cap: wait for its own reset
    else if (type == "usage-capped" || contains_ci(p.title, "UsageCapExceeded"))
      r.signal = ProviderSignal::account_error;  // monthly product cap: waiting minutes does not help
    else
      r.signal = ProviderSignal::rate_limited;  // the 15-minute window
  } else if (s == 402 || type == "credits-depleted") {
    r.signal = ProviderSignal::account_error;
  } else if (type == "resource-not-found" || s == 404) {
    r.signal = ProviderSignal::not_found;
  } else if (type == "not-authorized-for-resource" || type == "disallowed-resource") {
    // Resource-level refusal: on a DM this is the recipient's setting, unless X names the sender.
    if (!x_side()) r.signal = ProviderSignal::recipient_refused;
  } else if (type == "client-forbidden" || type == "unsupported-authentication" || type == "usage-capped") {
    r.signal = ProviderSignal::account_error;
  } else if (s == 403) {
    // Plain "Forbidden": missing dm scopes or a suspended app, unless the text says DMs are closed.
    if (!x_side()) r.signal = ProviderSignal::account_error;
  } else if (s >= 400 && s < 500) {
    if (!x_side()) r.signal = ProviderSignal::invalid_request;
  } else if (is_2xx(s)) {
    // 200 with only errors[]: a partial failure we do not recognise.
    if (!x_side()) r.signal = readable && p.present ? ProviderSignal::transient : ProviderSignal::malformed;
  } else if (!readable) {
    r.signal = ProviderSignal::malformed;  // the status decides
  } else if (s >= 500 && s < 600) {
    r.signal = ProviderSignal::none;  // 5xx: the status decides (retry)
  }
}

/// Sets the signal for an X error answer to a read (dm_events, users/me): as for a send, except
/// that refusals concern reading only (docs/providers.md#reading-the-inbox). A refusal that names
/// no account problem turns the inbox off and lets sends go on: if the account itself is at
/// fault, its next send says so.
void classify_read_problem(ProviderResult& r, Problem const& p, bool readable, Redactor const& redactor,
                           HttpResponse const& response, RateHints const& hints) {
  const int s = response.status;
  r.provider_code = redactor.clean(p.type);
  r.message = readable ? redactor.clean(p.text) : unreadable_body_text(redactor, s, response.body);
  auto account_side = [&] {
    if (p.legacy_code && (is_account_level_code(static_cast<int>(*p.legacy_code)) || *p.legacy_code == 88))
      return apply_x_code(r, *p.legacy_code);
    return apply_account_evidence(r, r.message);
  };
  const std::string_view type = p.type;

  if (is_2xx(s)) {
    // 200 with errors[]: the page may be incomplete, so it is not used, whatever the problem type.
    if (!account_side()) r.signal = readable && p.present ? ProviderSignal::transient : ProviderSignal::malformed;
  } else if (s == 401) {
    r.signal = ProviderSignal::auth_expired;  // the same token as sends: refresh once, then stop
  } else if (s == 429) {
    if (hints.daily_exhausted)
      r.signal = ProviderSignal::daily_limit;
    else if (type == "usage-capped" || contains_ci(p.title, "UsageCapExceeded"))
      r.signal = ProviderSignal::account_error;  // the monthly product cap covers sends too
    else
      r.signal = ProviderSignal::rate_limited;  // the read window: reads wait, sends go on
  } else if (s == 402 || type == "credits-depleted" || type == "usage-capped" || type == "unsupported-authentication") {
    r.signal = ProviderSignal::account_error;  // no balance, or a token that is no user's: sends fail too
  } else if (type == "client-forbidden" || type == "not-authorized-for-resource" || type == "disallowed-resource" ||
             type == "resource-not-found" || s == 403 || s == 404) {
    // A token without dm.read, a client not enrolled, a plan without DM reads.
    if (!account_side()) r.signal = ProviderSignal::read_refused;
  } else if (s >= 400 && s < 500) {
    if (!account_side()) r.signal = ProviderSignal::invalid_request;
  } else if (!readable) {
    r.signal = ProviderSignal::malformed;  // the status decides
  } else if (s >= 500 && s < 600) {
    r.signal = ProviderSignal::none;  // 5xx: the status decides (retry)
  }
}

/// The two participants of a one-to-one conversation (equal for a conversation with oneself).
struct Participants {
  std::string a;
  std::string b;
};

/// "123-456" → {123, 456}; nullopt when the id is one number (a group conversation); `bad` otherwise.
std::optional<Participants> split_conversation_id(std::string_view id, bool& bad) {
  const auto dash = id.find('-');
  if (dash == std::string_view::npos) {
    bad = !is_decimal_id(id);
    return std::nullopt;
  }
  const std::string_view a = id.substr(0, dash);
  const std::string_view b = id.substr(dash + 1);
  if (!is_decimal_id(a) || !is_decimal_id(b)) {
    bad = true;
    return std::nullopt;
  }
  return Participants{std::string(a), std::string(b)};
}

/// The participants of an event from `participant_ids` (where present) and `dm_conversation_id`,
/// which must agree when both are there. nullopt without `bad`: a group conversation.
std::optional<Participants> event_participants(json::object const& e, bool& bad) {
  std::optional<Participants> from_ids;
  bool group_by_ids = false;
  if (auto const* v = e.if_contains("participant_ids"); v && !v->is_null()) {
    auto const* ids = v->if_array();
    if (!ids || ids->empty()) {
      bad = true;
      return std::nullopt;
    }
    std::vector<std::string> parsed;
    for (json::value const& id : *ids) {
      std::optional<std::string> one;
      if (auto const* str = id.if_string(); str && is_decimal_id(*str)) one = std::string(*str);
      else if (auto const* i = id.if_int64(); i && *i >= 0) one = std::to_string(*i);
      else if (auto const* u = id.if_uint64()) one = std::to_string(*u);
      if (!one) {
        bad = true;
        return std::nullopt;
      }
      parsed.push_back(std::move(*one));
    }
    if (parsed.size() > 2) group_by_ids = true;
    else from_ids = Participants{parsed.front(), parsed.back()};  // one id: a conversation with oneself
  }
  std::optional<Participants> from_conversation;
  bool group_by_conversation = false;
  if (auto const* v = e.if_contains("dm_conversation_id"); v && !v->is_null()) {
    auto const* str = v->if_string();
    if (!str) {
      bad = true;
      return std::nullopt;
    }
    from_conversation = split_conversation_id(*str, bad);
    if (bad) return std::nullopt;
    group_by_conversation = !from_conversation;
  }
  // A one-to-one conversation id is always "<id>-<id>"; a single number is a group, whoever is left in it.
  if (group_by_conversation) return std::nullopt;
  if (group_by_ids) {
    bad = from_conversation.has_value();  // a pair of ids with more than two participants
    return std::nullopt;
  }
  auto same = [](Participants const& x, Participants const& y) {
    return (compare_decimal_ids(x.a, y.a) == 0 && compare_decimal_ids(x.b, y.b) == 0) ||
           (compare_decimal_ids(x.a, y.b) == 0 && compare_decimal_ids(x.b, y.a) == 0);
  };
  if ((from_ids && from_conversation && !same(*from_ids, *from_conversation)) || (!from_ids && !from_conversation)) {
    bad = true;  // the two disagree, or nothing tells who the message was for
    return std::nullopt;
  }
  return from_ids ? from_ids : from_conversation;
}

class XApiCodec final : public ProviderCodec {
 public:
  ProviderKind kind() const override { return ProviderKind::x_api; }

  Result<HttpRequest> send_request(ProviderCredentials const& provider, AccountCredentials const& account,
                                   DmMessage const& message) const override {
    (void)provider;
    if (account.access_token.empty()) return make_error("x_api: the account has no access_token");
    if (!is_decimal_id(message.recipient_id))
      return make_error("x_api: sending needs the recipient's decimal user_id (look the username up first)");
    json::object body;
    body["text"] = message.text;
    HttpRequest request = base_request(account, "POST", "/2/dm_conversations/with/" + message.recipient_id + "/messages");
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = serialize(body);
    return request;
  }

  ProviderResult parse_send(HttpResponse const& response, ProviderCredentials const& provider,
                            AccountCredentials const& account, TimePoint now) const override {
    const Redactor redactor = redactor_for(provider, account);
    const RateHints hints = read_rate_hints(response.headers, now);
    ProviderResult r = responded(response);
    const auto parsed = parse_json(response.body);
    json::object const* o = parsed ? parsed->if_object() : nullptr;
    if (is_2xx(response.status)) {
      auto const* data = o ? object_member(*o, "data") : nullptr;
      if (data) {
        if (auto id = id_member(*data, "dm_event_id")) {
          r.signal = ProviderSignal::success;
          r.message_id = std::move(*id);
          return r;
        }
        set_malformed(r, redactor, "X send response lacks data.dm_event_id", response.body);
      } else if (o && read_problem(*o).present) {
        classify_problem(r, read_problem(*o), true, redactor, response, hints);
      } else {
        set_malformed(r, redactor, o ? "X send response lacks \"data\"" : "X send response is not a JSON object",
                      response.body);
      }
    } else {
      classify_problem(r, o ? read_problem(*o) : Problem{}, o != nullptr, redactor, response, hints);
    }
    apply_hints(r, hints);
    return r;
  }

  Result<HttpRequest> lookup_by_username_request(ProviderCredentials const& provider, AccountCredentials const& account,
                                                 std::string_view username) const override {
    (void)provider;
    if (account.access_token.empty()) return make_error("x_api: the account has no access_token");
    if (username.empty()) return make_error("x_api: the lookup names no username");
    return base_request(account, "GET", "/2/users/by/username/" + url_encode(username) + "?user.fields=receives_your_dm");
  }

  UserLookup parse_lookup_by_username(HttpResponse const& response, ProviderCredentials const& provider,
                                      AccountCredentials const& account, std::string_view username,
                                      TimePoint now) const override {
    (void)username;
    return parse_user(response, redactor_for(provider, account), now);
  }

  Result<HttpRequest> lookup_by_id_request(ProviderCredentials const& provider, AccountCredentials const& account,
                                           std::string_view user_id) const override {
    (void)provider;
    if (account.access_token.empty()) return make_error("x_api: the account has no access_token");
    if (!is_decimal_id(user_id)) return make_error("x_api: the user id is not a decimal id");
    return base_request(account, "GET", "/2/users/" + std::string(user_id) + "?user.fields=receives_your_dm");
  }

  UserLookup parse_lookup_by_id(HttpResponse const& response, ProviderCredentials const& provider,
                                AccountCredentials const& account, std::string_view user_id,
                                TimePoint now) const override {
    const Redactor redactor = redactor_for(provider, account);
    UserLookup lookup = parse_user(response, redactor, now);
    require_user(lookup, user_id, redactor, response.body);
    return lookup;
  }

  bool reads_inbox() const override { return true; }

  Result<HttpRequest> inbox_request(ProviderCredentials const& provider, AccountCredentials const& account,
                                    std::optional<std::string_view> cursor) const override {
    (void)provider;
    if (account.access_token.empty()) return make_error("x_api: the account has no access_token");
    std::string target =
        "/2/dm_events?event_types=MessageCreate&max_results=100"
        "&dm_event.fields=id,text,event_type,created_at,sender_id,dm_conversation_id,participant_ids";
    if (cursor) {
      if (!is_cursor(*cursor)) return bad_cursor_error("x_api");
      target += "&pagination_token=" + url_encode(*cursor);
    }
    return base_request(account, "GET", std::move(target));
  }

  InboxPage parse_inbox(HttpResponse const& response, ProviderCredentials const& provider,
                        AccountCredentials const& account, std::string_view own_id, TimePoint now) const override {
    const Redactor redactor = redactor_for(provider, account);
    const RateHints hints = read_rate_hints(response.headers, now);
    InboxPage page;
    page.result = responded(response);
    const auto parsed = parse_json(response.body);
    json::object const* o = parsed ? parsed->if_object() : nullptr;
    if (!is_2xx(response.status)) {
      classify_read_problem(page.result, o ? read_problem(*o) : Problem{}, o != nullptr, redactor, response, hints);
    } else if (!o) {
      fail_page(page, "X dm_events response is not a JSON object", response.body);
    } else if (read_problem(*o).present) {
      classify_read_problem(page.result, read_problem(*o), true, redactor, response, hints);
    } else if (!is_decimal_id(own_id)) {
      // Not the provider's fault: the caller must read /2/users/me first.
      fail_page(page, "X dm_events cannot be read without the account's own decimal id", response.body);
    } else {
      read_events(page, *o, own_id, redactor, response.body);
    }
    close_page(page, response.headers, now);
    return page;
  }

  Result<HttpRequest> own_account_request(ProviderCredentials const& provider,
                                          AccountCredentials const& account) const override {
    (void)provider;
    if (account.access_token.empty()) return make_error("x_api: the account has no access_token");
    return base_request(account, "GET", "/2/users/me");
  }

  OwnAccount parse_own_account(HttpResponse const& response, ProviderCredentials const& provider,
                               AccountCredentials const& account, TimePoint now) const override {
    const Redactor redactor = redactor_for(provider, account);
    const RateHints hints = read_rate_hints(response.headers, now);
    OwnAccount own;
    ProviderResult& r = own.result;
    r = responded(response);
    const auto parsed = parse_json(response.body);
    json::object const* o = parsed ? parsed->if_object() : nullptr;
    if (!is_2xx(response.status)) {
      classify_read_problem(r, o ? read_problem(*o) : Problem{}, o != nullptr, redactor, response, hints);
    } else if (!o) {
      set_malformed(r, redactor, "X users/me response is not a JSON object", response.body);
    } else if (auto const* user = object_member(*o, "data")) {
      if (auto id = id_member(*user, "id")) {
        r.signal = ProviderSignal::success;
        own.user_id = std::move(*id);
        const std::string_view username = string_member(*user, "username");
        if (is_username(username) && redactor.scrub(username) == username) own.username = std::string(username);
        return own;
      }
      set_malformed(r, redactor, "X users/me object lacks a decimal \"id\"", response.body);
    } else if (read_problem(*o).present) {
      classify_read_problem(r, read_problem(*o), true, redactor, response, hints);
    } else {
      set_malformed(r, redactor, "X users/me response has neither \"data\" nor \"errors\"", response.body);
    }
    apply_hints(r, hints);
    return own;
  }

 private:
  /// An X username as X allows them: 1 to 15 of [A-Za-z0-9_] (a little more is tolerated).
  static bool is_username(std::string_view name) {
    if (name.empty() || name.size() > 50) return false;
    for (char c : name) {
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
    }
    return true;
  }

  /// A 2xx dm_events page: `data[]` (absent when empty) and `meta.next_token`.
  static void read_events(InboxPage& page, json::object const& o, std::string_view own_id, Redactor const& redactor,
                          std::string_view body) {
    std::optional<std::string> cursor;
    json::object const* meta = nullptr;
    if (auto const* v = o.if_contains("meta"); v && !v->is_null()) {
      meta = v->if_object();
      if (!meta) return fail_page(page, "X dm_events response's \"meta\" is not an object", body);
      bool bad_cursor = false;
      cursor = cursor_member(*meta, "next_token", redactor, bad_cursor);
      if (bad_cursor) return fail_page(page, "X dm_events response's \"meta.next_token\" is not a usable cursor", body);
    }
    json::array const* events = nullptr;
    if (auto const* v = o.if_contains("data"); v && !v->is_null()) {
      events = v->if_array();
      if (!events) return fail_page(page, "X dm_events response's \"data\" is not an array", body);
    } else {
      // An empty inbox is {"meta":{"result_count":0}}: no data, and nothing that says otherwise.
      const auto count = meta ? int_member(*meta, "result_count") : std::nullopt;
      if (!meta || (count && *count != 0) || cursor)
        return fail_page(page, "X dm_events response lacks \"data\"", body);
    }
    if (events) {
      page.messages.reserve(events->size());
      for (std::size_t i = 0; i < events->size(); ++i) {
        if (!read_event(page, (*events)[i], own_id))
          return fail_page(page, "X dm_events event " + std::to_string(i + 1) +
                                               " lacks a decimal id or sender_id, a readable created_at, a text string or"
                                               " its conversation's participants",
                           body);
      }
    }
    page.next_cursor = std::move(cursor);
    page.result.signal = ProviderSignal::success;
  }

  /// Appends one MessageCreate event to the page; false when it is unreadable. Other event types,
  /// group conversations and conversations without the account are skipped.
  static bool read_event(InboxPage& page, json::value const& v, std::string_view own_id) {
    auto const* e = v.if_object();
    if (!e) return false;
    // Only MessageCreate was asked for; an event that does not name its type is taken for one.
    if (auto const* type = e->if_contains("event_type"); type && !type->is_null()) {
      auto const* str = type->if_string();
      if (!str) return false;
      if (*str != "MessageCreate") return true;
    }
    auto id = id_member(*e, "id");
    auto sender = id_member(*e, "sender_id");
    auto created = time_member(*e, "created_at");
    if (!id || !sender || !created) return false;
    std::string text;
    if (auto const* t = e->if_contains("text"); t && !t->is_null()) {
      auto const* str = t->if_string();
      if (!str) return false;
      text = std::string(*str);
    }
    bool bad = false;
    auto participants = event_participants(*e, bad);
    if (bad) return false;
    if (!participants) return true;  // a group conversation: never one of ours
    auto is = [](std::string const& x, std::string_view y) { return compare_decimal_ids(x, y) == 0; };
    if (!is(participants->a, own_id) && !is(participants->b, own_id)) return true;  // not the account's
    // The recipient is the conversation's other participant (the sender's counterpart).
    std::string recipient;
    if (is(participants->a, *sender)) recipient = participants->b;
    else if (is(participants->b, *sender)) recipient = participants->a;
    else return false;  // sent by someone outside the conversation
    page.messages.push_back(InboxMessage{std::move(*id), *created, std::move(*sender), std::move(recipient), std::move(text)});
    return true;
  }

  static HttpRequest base_request(AccountCredentials const& account, std::string method, std::string target) {
    HttpRequest request;
    request.method = std::move(method);
    request.target = std::move(target);
    request.headers.emplace_back("Authorization", "Bearer " + std::string(account.access_token.reveal()));
    request.headers.emplace_back("Accept", "application/json");
    return request;
  }

  static UserLookup parse_user(HttpResponse const& response, Redactor const& redactor, TimePoint now) {
    UserLookup lookup;
    ProviderResult& r = lookup.result;
    r = responded(response);
    const RateHints hints = read_rate_hints(response.headers, now);
    const auto parsed = parse_json(response.body);
    json::object const* o = parsed ? parsed->if_object() : nullptr;
    if (!is_2xx(response.status)) {
      classify_problem(r, o ? read_problem(*o) : Problem{}, o != nullptr, redactor, response, hints);
    } else if (!o) {
      set_malformed(r, redactor, "X user response is not a JSON object", response.body);
    } else if (auto const* user = object_member(*o, "data")) {
      auto id = id_member(*user, "id");
      if (!id) {
        set_malformed(r, redactor, "X user object lacks a decimal \"id\"", response.body);
      } else if (auto const* flag = user->if_contains("receives_your_dm"); flag && !flag->is_bool() && !flag->is_null()) {
        set_malformed(r, redactor, "X user object's \"receives_your_dm\" is not a boolean", response.body);
      } else {
        // Absent without user-context auth: then the send decides.
        finish_lookup(lookup, std::move(*id), bool_member(*user, "receives_your_dm"));
        if (lookup.can_dm == false) r.message = "the user does not accept DMs from this account (receives_your_dm false)";
      }
    } else if (read_problem(*o).present) {
      // A missing user is HTTP 200 with errors[] and no data.
      classify_problem(r, read_problem(*o), true, redactor, response, hints);
    } else {
      set_malformed(r, redactor, "X user response has neither \"data\" nor \"errors\"", response.body);
    }
    close_lookup(lookup, response.headers, now);
    return lookup;
  }
};

}  // namespace

std::unique_ptr<ProviderCodec> make_x_api_codec() { return std::make_unique<XApiCodec>(); }

}  // namespace outreach::codec
