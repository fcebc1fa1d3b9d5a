#include "config/config.hpp"

#include <sys/un.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <system_error>
#include <utility>

#include "config/url_check.hpp"
#include "core/duration.hpp"
#include "core/message_match.hpp"
#include "core/utf8.hpp"

namespace outreach {

static_assert(kMaxUnixSocketPathBytes + 1 == sizeof(sockaddr_un{}.sun_path));

namespace {

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string a_type(toml::node const& node) {
  switch (node.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "empty";
}

// "a, b or c"
std::string one_of(std::initializer_list<std::string_view> items) {
  std::string out;
  std::size_t i = 0;
  for (std::string_view item : items) {
    if (i > 0) out += (i + 1 == items.size()) ? " or " : ", ";
    out += item;
    ++i;
  }
  return out;
}

std::string all_providers() {
  return one_of({to_string(kAllProviders[0]), to_string(kAllProviders[1]), to_string(kAllProviders[2]),
                 to_string(kAllProviders[3])});
}

std::string child(std::string const& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

bool valid_account_name(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

bool decimal_id(std::string_view s) {
  return !s.empty() && s.size() <= 20 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// True when `text` is empty or only whitespace (the set opt-out matching trims, core/message_match.hpp).
bool blank(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t ws = whitespace_length_at(text, i);
    if (ws == 0) return false;
    i += ws;
  }
  return true;
}

// The first control character of any kind: C0 (tab and line breaks included), DEL or C1.
// find_control_character lets newline and tab through, as message texts may hold them.
std::optional<ControlCharacter> first_control_character(std::string_view text) {
  std::optional<ControlCharacter> found = find_control_character(text);
  const std::size_t end = found ? found->offset : text.size();
  for (std::size_t i = 0; i < end; ++i) {
    if (text[i] == '\t' || text[i] == '\n' || text[i] == '\r') {
      found = ControlCharacter{i, count_code_points(text.substr(0, i)) + 1, static_cast<std::uint32_t>(text[i])};
      break;
    }
  }
  return found;
}

std::string resolve_path(std::string const& base_dir, std::string const& path) {
  if (base_dir.empty() || path.empty() || path.front() == '/') return path;
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

// Which account keys each provider takes (besides name, provider, tier, daily_cap, user_id).
struct AccountKeys {
  bool auth_token = false;
  bool proxy_allowed = false;
  bool proxy_required = false;
  bool user_id_required = false;
  bool oauth_tokens = false;
};

AccountKeys account_keys(ProviderKind kind) {
  switch (kind) {
    case ProviderKind::getxapi: return {true, true, false, false, false};
    case ProviderKind::twitterapi_io: return {true, true, true, false, false};
    case ProviderKind::tweetapi: return {true, true, true, true, false};
    case ProviderKind::x_api: return {false, false, false, false, true};
  }
  return {};
}

class Loader {
  struct Message {
    toml::source_index line = 0;
    std::string text;
    bool outside_service = false;  ///< see ConfigLoad::outside_service_errors
  };

 public:
  Loader(std::string source_name, std::string base_dir, SecretEnvironment const& env)
      : source_(std::move(source_name)), base_dir_(std::move(base_dir)), env_(env) {}

  ConfigLoad load(std::string_view text) {
    toml::table root;
    try {
      root = toml::parse(text, std::string_view{source_});
    } catch (toml::parse_error const& e) {
      // toml++ describes syntax errors by position and offending character, never by value.
      errors_.push_back({e.source().begin.line, where(e.source()) + ": invalid TOML: " + std::string(e.description())});
      return finish(std::nullopt);
    }
    Config config;
    load_root(root, config);
    return finish(std::move(config));
  }

 private:
  // ---- messages ----------------------------------------------------------------------------
  std::string where(toml::source_region const& region) const {
    if (region.begin.line == 0) return source_;
    return source_ + ":" + std::to_string(region.begin.line);
  }
  void error(toml::source_region const& region, std::string const& path, std::string const& message) {
    errors_.push_back({region.begin.line, where(region) + ": " + path + ": " + message});
  }
  void error(toml::node const& node, std::string const& path, std::string const& message) {
    error(node.source(), path, message);
  }
  void warn(toml::node const& node, std::string const& path, std::string const& message) {
    warnings_.push_back({node.source().begin.line, where(node.source()) + ": " + path + ": " + message});
  }
  void wrong_type(toml::node const& node, std::string const& path, std::string_view expected) {
    error(node, path, "must be " + std::string(expected) + ", not " + a_type(node));
  }

  // Messages come out in file order (checks run section by section, not line by line); ones
  // without a line go last. `outside_service` collects the indices of the messages so marked.
  static std::vector<std::string> in_file_order(std::vector<Message> messages,
                                                std::vector<std::size_t>* outside_service = nullptr) {
    std::stable_sort(messages.begin(), messages.end(), [](Message const& a, Message const& b) {
      return (a.line == 0 ? UINT32_MAX : a.line) < (b.line == 0 ? UINT32_MAX : b.line);
    });
    std::vector<std::string> out;
    out.reserve(messages.size());
    for (auto& m : messages) {
      if (m.outside_service && outside_service != nullptr) outside_service->push_back(out.size());
      out.push_back(std::move(m.text));
    }
    return out;
  }

  ConfigLoad finish(std::optional<Config> config) {
    ConfigLoad out;
    out.errors = in_file_order(std::move(errors_), &out.outside_service_errors);
    out.warnings = in_file_order(std::move(warnings_));
    if (config) out.state_dir = config->state_dir;
    if (out.errors.empty()) out.config = std::move(config);
    return out;
  }

  // ---- generic getters ---------------------------------------------------------------------
  void check_keys(toml::table const& table, std::string const& path, std::initializer_list<std::string_view> allowed) {
    for (auto&& [key, value] : table) {
      if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end()) continue;
      error(key.source(), child(path, key.str()), "unknown key; expected " + one_of(allowed));
    }
  }

  // A sub-table such as [pacing]; nullptr when absent or of the wrong type (reported).
  toml::table const* get_table(toml::table const& parent, std::string const& parent_path, std::string_view key) {
    toml::node const* node = parent.get(key);
    if (node == nullptr) return nullptr;
    if (auto table = node->as_table()) return table;
    wrong_type(*node, child(parent_path, key), "a table");
    return nullptr;
  }

  void missing(toml::table const& table, std::string const& path, std::string const& why) {
    error(table, path, "is missing; " + why);
  }

  std::optional<std::string> get_string(toml::table const& table, std::string const& table_path, std::string_view key) {
    toml::node const* node = table.get(key);
    if (node == nullptr) return std::nullopt;
    if (auto s = node->as_string()) return s->get();
    wrong_type(*node, child(table_path, key), "a string");
    return std::nullopt;
  }

  std::optional<std::int64_t> get_integer(toml::table const& table, std::string const& table_path,
                                          std::string_view key) {
    toml::node const* node = table.get(key);
    if (node == nullptr) return std::nullopt;
    if (auto i = node->as_integer()) return i->get();
    wrong_type(*node, child(table_path, key), "an integer");
    return std::nullopt;
  }

  // Writes the duration into `out` when present and valid; returns false only on a reported error.
  bool get_duration(toml::table const& table, std::string const& table_path, std::string_view key, Duration& out) {
    toml::node const* node = table.get(key);
    if (node == nullptr) return true;
    const std::string path = child(table_path, key);
    auto s = node->as_string();
    if (s == nullptr) {
      wrong_type(*node, path, "a string with a unit such as \"2s\"");
      return false;
    }
    auto parsed = parse_duration(s->get());
    if (parsed.has_error()) {
      error(*node, path, parsed.error().message);
      return false;
    }
    out = *parsed;
    return true;
  }

  // A secret: a plain string (warned about) or a one-key table naming env, file or credential.
  // nullopt when absent or broken (broken is reported). Messages never carry the value.
  std::optional<Secret> get_secret(toml::table const& table, std::string const& table_path, std::string_view key,
                                   bool warn_if_plain = true) {
    toml::node const* node = table.get(key);
    if (node == nullptr) return std::nullopt;
    const std::string path = child(table_path, key);
    if (auto s = node->as_string()) {
      if (s->get().empty()) {
        error(*node, path, "is empty");
        return std::nullopt;
      }
      if (warn_if_plain)
        warn(*node, path,
             "is a plain string in the config file; prefer { env = \"VAR\" }, { file = \"/path\" } or "
             "{ credential = \"NAME\" }");
      return Secret(s->get());
    }
    auto source = node->as_table();
    if (source == nullptr) {
      wrong_type(*node, path, "a string or a table such as { env = \"VAR\" }");
      return std::nullopt;
    }
    check_keys(*source, path, {"env", "file", "credential"});
    std::optional<SecretRef> ref;
    int sources = 0;
    for (SecretSourceKind kind : {SecretSourceKind::env, SecretSourceKind::file, SecretSourceKind::credential}) {
      toml::node const* name = source->get(to_string(kind));
      if (name == nullptr) continue;
      ++sources;
      const std::string name_path = child(path, to_string(kind));
      if (auto s = name->as_string()) {
        if (s->get().empty()) {
          error(*name, name_path, "is empty");
          continue;
        }
        std::string value = s->get();
        if (kind == SecretSourceKind::file) value = resolve_path(base_dir_, value);
        ref = SecretRef{kind, std::move(value)};
      } else {
        wrong_type(*name, name_path, "a string");
      }
    }
    if (sources == 0) {
      error(*node, path, "names no source; write { env = \"VAR\" }, { file = \"/path\" } or { credential = \"NAME\" }");
      return std::nullopt;
    }
    if (sources > 1) {
      error(*node, path, "names more than one source; give exactly one of env, file or credential");
      return std::nullopt;
    }
    if (!ref) return std::nullopt;
    if (!env_.resolve) return Secret{};  // shape checked; the value is not needed (see SecretEnvironment)
    auto resolved = resolve_secret(*ref, env_);
    if (resolved.has_error()) {
      error(*node, path, resolved.error().message);
      errors_.back().outside_service = credential_outside_service(*ref, env_);
      return std::nullopt;
    }
    return std::move(*resolved);
  }

  // ---- sections ----------------------------------------------------------------------------
  void load_root(toml::table const& root, Config& config) {
    check_keys(root, "",
               {"state_dir", "watch_dir", "log_level", "pacing", "retry", "can_dm", "http", "safety", "inbox",
                "providers", "accounts"});
    load_paths(root, config);
    if (auto level = get_string(root, "", "log_level")) {
      if (auto parsed = parse_log_level(*level)) {
        config.log_level = *parsed;
      } else {
        error(*root.get("log_level"), "log_level",
              in_quotes(*level) + " is not one of " + one_of({"trace", "debug", "info", "warn", "error"}));
      }
    }
    if (auto t = get_table(root, "", "pacing")) load_pacing(*t, config.pacing);
    if (auto t = get_table(root, "", "retry")) load_retry(*t, config.retry);
    if (auto t = get_table(root, "", "can_dm")) {
      check_keys(*t, "can_dm", {"cache_ttl"});
      get_duration(*t, "can_dm", "cache_ttl", config.can_dm.cache_ttl);
    }
    if (auto t = get_table(root, "", "safety")) {
      check_keys(*t, "safety", {"contact_cooldown"});
      get_duration(*t, "safety", "contact_cooldown", config.safety.contact_cooldown);
    }
    if (auto t = get_table(root, "", "http")) load_http(*t, config.http);
    if (auto t = get_table(root, "", "inbox")) load_inbox(*t, config.inbox);
    std::vector<std::string> declared_providers;
    if (auto t = get_table(root, "", "providers")) load_providers(*t, config, declared_providers);
    load_accounts(root, config, declared_providers);
  }

  void load_paths(toml::table const& root, Config& config) {
    bool watch_dir_given = false;
    for (std::string_view key : {"state_dir", "watch_dir"}) {
      auto value = get_string(root, "", key);
      if (!value) continue;
      if (value->empty()) {
        error(*root.get(key), std::string(key), "is empty; give a directory");
        continue;
      }
      std::string resolved = resolve_path(base_dir_, *value);
      while (resolved.size() > 1 && resolved.back() == '/') resolved.pop_back();
      if (key == "state_dir") {
        // bind() would fail with "File name too long" only once the daemon is starting, naming
        // nothing; check-config and `run` say it here, before anything is created.
        const std::string socket = control_socket_path(resolved);
        if (socket.size() > kMaxUnixSocketPathBytes)
          error(*root.get(key), std::string(key),
                "is too long: the daemon's control socket " + socket + " would be " +
                    std::to_string(socket.size()) + " bytes, over the " + std::to_string(kMaxUnixSocketPathBytes) +
                    "-byte limit of a Unix socket path (sockaddr_un.sun_path); use a shorter state_dir");
        config.state_dir = std::move(resolved);
      } else {
        config.watch_dir = std::move(resolved);
        watch_dir_given = true;
      }
    }
    // Campaign files live under the state directory unless told otherwise.
    if (!watch_dir_given) config.watch_dir = (std::filesystem::path(config.state_dir) / "campaigns").string();
  }

  void load_pacing(toml::table const& t, PacingWindow& pacing) {
    check_keys(t, "pacing", {"min_delay", "max_delay"});
    const bool min_ok = get_duration(t, "pacing", "min_delay", pacing.min);
    const bool max_ok = get_duration(t, "pacing", "max_delay", pacing.max);
    if (min_ok && max_ok && pacing.min > pacing.max) {
      toml::node const* at = t.get("min_delay") ? t.get("min_delay") : t.get("max_delay");
      error(at ? at->source() : t.source(), "pacing.min_delay",
            format_duration(pacing.min) + " is longer than pacing.max_delay " + format_duration(pacing.max));
    }
  }

  void load_retry(toml::table const& t, RetryConfig& retry) {
    check_keys(t, "retry", {"base_delay", "max_delay", "max_attempts"});
    const bool base_ok = get_duration(t, "retry", "base_delay", retry.backoff.base);
    const bool max_ok = get_duration(t, "retry", "max_delay", retry.backoff.max);
    if (base_ok && max_ok && retry.backoff.base > retry.backoff.max) {
      toml::node const* at = t.get("base_delay") ? t.get("base_delay") : t.get("max_delay");
      error(at ? at->source() : t.source(), "retry.base_delay",
            format_duration(retry.backoff.base) + " is longer than retry.max_delay " +
                format_duration(retry.backoff.max));
    }
    if (auto attempts = get_integer(t, "retry", "max_attempts")) {
      if (*attempts < 1 || *attempts > 1'000'000) {
        error(*t.get("max_attempts"), "retry.max_attempts",
              std::to_string(*attempts) + " is out of range; use 1 or more (every attempt counts, the first included)");
      } else {
        retry.max_attempts = static_cast<int>(*attempts);
      }
    }
  }

  void load_http(toml::table const& t, HttpConfig& http) {
    check_keys(t, "http", {"connect_timeout", "request_timeout"});
    for (auto [key, field] : {std::pair{"connect_timeout", &http.connect_timeout},
                              std::pair{"request_timeout", &http.request_timeout}}) {
      if (get_duration(t, "http", key, *field) && *field <= Duration::zero())
        error(*t.get(key), child("http", key), "must be longer than 0s");
    }
  }

  void load_inbox(toml::table const& t, InboxConfig& inbox) {
    check_keys(t, "inbox",
               {"poll_interval", "lookback", "reconcile_after", "requeue_unconfirmed", "opt_out_keywords"});
    get_duration(t, "inbox", "poll_interval", inbox.poll_interval);  // 0s = never poll

    bool lookback_ok = get_duration(t, "inbox", "lookback", inbox.lookback);
    if (lookback_ok && inbox.lookback <= Duration::zero()) {
      error(*t.get("lookback"), "inbox.lookback", "must be longer than 0s");
      lookback_ok = false;
    } else if (lookback_ok && inbox.lookback > kMaxInboxLookback) {
      error(*t.get("lookback"), "inbox.lookback",
            format_duration(inbox.lookback) + " is longer than " + format_duration(kMaxInboxLookback) +
                "; X keeps only 30 days of DM history, so an inbox read cannot go further back");
      lookback_ok = false;
    }

    bool reconcile_ok = get_duration(t, "inbox", "reconcile_after", inbox.reconcile_after);
    if (reconcile_ok && inbox.reconcile_after <= Duration::zero()) {
      error(*t.get("reconcile_after"), "inbox.reconcile_after", "must be longer than 0s");
      reconcile_ok = false;
    }
    if (lookback_ok && reconcile_ok && inbox.reconcile_after >= inbox.lookback) {
      // Reported at reconcile_after when written, else at the lookback that made the default too long.
      toml::node const* at = t.get("reconcile_after") ? t.get("reconcile_after") : t.get("lookback");
      error(at ? at->source() : t.source(), "inbox.reconcile_after",
            format_duration(inbox.reconcile_after) + (t.get("reconcile_after") ? "" : " (the default)") +
                " is not shorter than inbox.lookback " + format_duration(inbox.lookback) +
                "; an in-doubt send must be checked while its account is still read");
    }

    if (toml::node const* node = t.get("requeue_unconfirmed")) {
      if (auto flag = node->as_boolean()) {
        inbox.requeue_unconfirmed = flag->get();
      } else {
        wrong_type(*node, "inbox.requeue_unconfirmed", "true or false");
      }
    }

    if (toml::node const* node = t.get("opt_out_keywords")) load_opt_out_keywords(*node, inbox.opt_out_keywords);
  }

  void load_opt_out_keywords(toml::node const& node, std::vector<std::string>& out) {
    const std::string path = "inbox.opt_out_keywords";
    auto array = node.as_array();
    if (array == nullptr) {
      wrong_type(node, path, "an array of strings such as [\"stop\", \"unsubscribe\"]");
      return;
    }
    bool ok = true;
    if (array->size() > kMaxOptOutKeywords) {
      error(node, path,
            "has " + std::to_string(array->size()) + " keywords; at most " + std::to_string(kMaxOptOutKeywords) +
                " are allowed");
      ok = false;
    }
    std::vector<std::string> keywords;
    for (std::size_t i = 0; i < array->size(); ++i) {
      const std::string element_path = path + "[" + std::to_string(i) + "]";
      toml::node const& element = *array->get(i);
      auto s = element.as_string();
      if (s == nullptr) {
        wrong_type(element, element_path, "a string");
        ok = false;
        continue;
      }
      std::string_view const keyword = s->get();
      // The keyword itself is never quoted here: it may hold control characters.
      if (blank(keyword)) {
        error(element, element_path, "is empty or only whitespace; remove it or give a word");
        ok = false;
      } else if (keyword.size() > kMaxOptOutKeywordBytes) {
        error(element, element_path,
              "is " + std::to_string(keyword.size()) + " bytes long; at most " +
                  std::to_string(kMaxOptOutKeywordBytes) + " are allowed");
        ok = false;
      } else if (auto control = first_control_character(keyword)) {
        error(element, element_path,
              "contains the control character " + describe_control_character(*control) +
                  "; a keyword is plain text on one line");
        ok = false;
      } else {
        keywords.emplace_back(keyword);
      }
    }
    if (ok) out = std::move(keywords);
  }

  void load_providers(toml::table const& providers, Config& config, std::vector<std::string>& declared) {
    for (auto&& [key, node] : providers) {
      const std::string path = child("providers", key.str());
      auto kind = parse_provider_kind(key.str());
      if (!kind) {
        error(key.source(), path, "unknown provider; expected " + all_providers());
        continue;
      }
      declared.emplace_back(key.str());
      auto table = node.as_table();
      if (table == nullptr) {
        wrong_type(node, path, "a table");
        continue;
      }
      ProviderConfig provider;
      provider.kind = *kind;
      provider.base_url = std::string(default_base_url(*kind));
      bool ok = true;
      if (*kind == ProviderKind::x_api) {
        check_keys(*table, path, {"client_id", "client_secret", "base_url", "allow_insecure_http"});
        if (auto id = get_string(*table, path, "client_id")) {
          if (id->empty()) {
            error(*table->get("client_id"), child(path, "client_id"), "is empty");
            ok = false;
          }
          provider.client_id = *id;
        } else {
          if (table->get("client_id") == nullptr)
            missing(*table, child(path, "client_id"), "x_api needs the OAuth 2.0 client id of your app");
          ok = false;
        }
        if (table->get("client_secret")) {
          provider.client_secret = get_secret(*table, path, "client_secret");
          ok = ok && provider.client_secret.has_value();
        }
      } else {
        check_keys(*table, path, {"api_key", "base_url", "allow_insecure_http"});
        if (auto key_value = get_secret(*table, path, "api_key")) {
          provider.api_key = std::move(*key_value);
        } else {
          if (table->get("api_key") == nullptr)
            missing(*table, child(path, "api_key"), std::string(to_string(*kind)) + " needs an API key secret");
          ok = false;
        }
      }
      if (toml::node const* allow = table->get("allow_insecure_http")) {
        if (auto flag = allow->as_boolean()) {
          provider.allow_insecure_http = flag->get();
        } else {
          wrong_type(*allow, child(path, "allow_insecure_http"), "true or false");
          ok = false;
        }
      }
      if (auto url = get_string(*table, path, "base_url")) {
        auto normalized = normalize_base_url(*url);
        if (normalized.has_error()) {
          error(*table->get("base_url"), child(path, "base_url"), normalized.error().message);
          ok = false;
        } else if (is_remote_plain_http(*normalized) && !provider.allow_insecure_http) {
          // Every request carries the provider key and often an account session: on a network
          // path, plain HTTP hands them to anyone who can watch it.
          error(*table->get("base_url"), child(path, "base_url"),
                "uses plain http:// to a host that is not loopback (127.0.0.0/8, ::1, localhost), so keys and "
                "sessions would travel in clear text; use https://, or set " +
                    child(path, "allow_insecure_http") + " = true");
          ok = false;
        } else {
          provider.base_url = std::move(*normalized);
        }
      }
      if (ok) config.providers.push_back(std::move(provider));
    }
    // A stable order for callers and for check-config's summary.
    std::sort(config.providers.begin(), config.providers.end(),
              [](ProviderConfig const& a, ProviderConfig const& b) { return a.kind < b.kind; });
  }

  void load_accounts(toml::table const& root, Config& config, std::vector<std::string> const& declared_providers) {
    toml::node const* node = root.get("accounts");
    if (node == nullptr) return;
    auto array = node->as_array();
    if (array == nullptr) {
      wrong_type(*node, "accounts", "an array of tables ([[accounts]])");
      return;
    }
    std::vector<std::pair<std::string, std::size_t>> seen_names;
    for (std::size_t i = 0; i < array->size(); ++i) {
      const std::string path = "accounts[" + std::to_string(i) + "]";
      toml::node const& element = *array->get(i);
      auto table = element.as_table();
      if (table == nullptr) {
        wrong_type(element, path, "a table ([[accounts]])");
        continue;
      }
      if (auto account = load_account(*table, path, declared_providers, seen_names, i))
        config.accounts.push_back(std::move(*account));
    }
  }

  std::optional<AccountConfig> load_account(toml::table const& t, std::string const& path,
                                            std::vector<std::string> const& declared_providers,
                                            std::vector<std::pair<std::string, std::size_t>>& seen_names,
                                            std::size_t index) {
    AccountConfig account;
    bool ok = true;

    // Keys depend on the provider; check them once the provider is known.
    std::optional<ProviderKind> kind;
    if (auto provider = get_string(t, path, "provider")) {
      kind = parse_provider_kind(*provider);
      if (!kind) {
        error(*t.get("provider"), child(path, "provider"),
              in_quotes(*provider) + " is not one of " + all_providers());
      } else if (std::find(declared_providers.begin(), declared_providers.end(), *provider) ==
                 declared_providers.end()) {
        error(*t.get("provider"), child(path, "provider"),
              in_quotes(*provider) + " is not configured; add a [providers." + *provider + "] table");
        ok = false;
      }
    } else if (t.get("provider") == nullptr) {
      missing(t, child(path, "provider"), "use one of " + all_providers());
    }
    if (!kind) {
      ok = false;
      check_keys(t, path,
                 {"name", "provider", "tier", "daily_cap", "user_id", "auth_token", "proxy", "access_token",
                  "refresh_token"});
    } else {
      account.provider = *kind;
      const AccountKeys keys = account_keys(*kind);
      for (auto&& [key, value] : t) {
        const std::string_view k = key.str();
        const bool common = k == "name" || k == "provider" || k == "tier" || k == "daily_cap" || k == "user_id";
        const bool allowed = common || (k == "auth_token" && keys.auth_token) ||
                             (k == "proxy" && keys.proxy_allowed) ||
                             ((k == "access_token" || k == "refresh_token") && keys.oauth_tokens);
        if (allowed) continue;
        const bool known_elsewhere =
            k == "auth_token" || k == "proxy" || k == "access_token" || k == "refresh_token";
        error(key.source(), child(path, k),
              known_elsewhere ? "is not used by provider " + std::string(to_string(*kind))
                              : "unknown key; expected name, provider, tier, daily_cap, user_id and the provider's "
                                "credentials");
        ok = false;
      }
    }

    if (auto name = get_string(t, path, "name")) {
      if (!valid_account_name(*name)) {
        error(*t.get("name"), child(path, "name"),
              in_quotes(*name) + " may contain only letters, digits, '.', '_' and '-'");
        ok = false;
      } else {
        auto same = std::find_if(seen_names.begin(), seen_names.end(), [&](auto const& p) { return p.first == *name; });
        if (same != seen_names.end()) {
          error(*t.get("name"), child(path, "name"),
                in_quotes(*name) + " is already used by accounts[" + std::to_string(same->second) + "]");
          ok = false;
        } else {
          seen_names.emplace_back(*name, index);
        }
      }
      account.name = *name;
    } else {
      if (t.get("name") == nullptr) missing(t, child(path, "name"), "campaigns refer to accounts by name");
      ok = false;
    }

    std::optional<AccountTier> tier;
    if (auto text = get_string(t, path, "tier")) {
      tier = parse_tier(*text);
      if (!tier) error(*t.get("tier"), child(path, "tier"), in_quotes(*text) + " is not one of new, established or premium");
    } else if (t.get("tier") == nullptr) {
      missing(t, child(path, "tier"), "use new (500 a day), established (1000) or premium (1500)");
    }
    if (!tier) ok = false;

    if (auto cap = get_integer(t, path, "daily_cap")) {
      if (*cap < 0) {
        error(*t.get("daily_cap"), child(path, "daily_cap"), std::to_string(*cap) + " is negative");
        ok = false;
      } else if (tier && *cap > tier_cap(*tier)) {
        error(*t.get("daily_cap"), child(path, "daily_cap"),
              std::to_string(*cap) + " is above the " + std::string(to_string(*tier)) + " tier's " +
                  std::to_string(tier_cap(*tier)) + " sends per 24 h; lower it or raise the tier");
        ok = false;
      } else {
        account.daily_cap = static_cast<int>(std::min<std::int64_t>(*cap, tier_cap(AccountTier::premium)));
      }
    } else if (t.get("daily_cap") != nullptr) {
      ok = false;
    }
    if (tier) {
      account.tier = *tier;
      account.effective_cap = effective_cap(*tier, account.daily_cap);
    }

    if (toml::node const* id_node = t.get("user_id")) {
      // Ids are strings so that no tool on the way ever reads them as floating point.
      if (auto id = id_node->as_string(); id == nullptr) {
        wrong_type(*id_node, child(path, "user_id"), "a quoted decimal string such as \"1858475867762270208\"");
        ok = false;
      } else if (!decimal_id(id->get())) {
        error(*id_node, child(path, "user_id"), in_quotes(id->get()) + " is not a decimal user id");
        ok = false;
      } else {
        account.user_id = id->get();
      }
    }

    if (kind) ok = load_account_credentials(t, path, *kind, account) && ok;
    if (!ok) return std::nullopt;
    return account;
  }

  // The provider-specific secrets; returns false when one is missing or broken (reported).
  bool load_account_credentials(toml::table const& t, std::string const& path, ProviderKind kind,
                                AccountConfig& account) {
    const AccountKeys keys = account_keys(kind);
    const std::string provider(to_string(kind));
    bool ok = true;
    auto required_secret = [&](std::string_view key, Secret& out) {
      if (t.get(key) == nullptr) {
        missing(t, child(path, key), provider + " accounts need " + std::string(key) + " (a secret)");
        ok = false;
      } else if (auto secret = get_secret(t, path, key)) {
        out = std::move(*secret);
      } else {
        ok = false;
      }
    };
    if (keys.auth_token) required_secret("auth_token", account.auth_token);
    if (keys.oauth_tokens) {
      required_secret("access_token", account.access_token);
      required_secret("refresh_token", account.refresh_token);
    }
    if (keys.proxy_allowed) {
      if (toml::node const* node = t.get("proxy")) {
        // A proxy without user:pass holds nothing secret, so only a credentialed one is warned about.
        const bool plain_with_credentials = node->is_string() && proxy_has_credentials(node->as_string()->get());
        if (auto proxy = get_secret(t, path, "proxy", plain_with_credentials)) {
          // Unresolved (SecretEnvironment::resolve == false): there is no value to check.
          auto problem = env_.resolve || !proxy->empty() ? proxy_problem(proxy->reveal()) : std::nullopt;
          if (problem) {
            error(*node, child(path, "proxy"),
                  "is not a proxy address (" + *problem + "); write http://user:pass@host:port or host:port");
            ok = false;
          } else {
            account.proxy = std::move(*proxy);
          }
        } else {
          ok = false;
        }
      } else if (keys.proxy_required) {
        missing(t, child(path, "proxy"), provider + " accounts need a proxy, http://user:pass@host:port");
        ok = false;
      }
    }
    if (keys.user_id_required && t.get("user_id") == nullptr) {
      missing(t, child(path, "user_id"), provider + " accounts need the account's own numeric id as a string");
      ok = false;
    }
    return ok;
  }

  std::string source_;
  std::string base_dir_;
  SecretEnvironment const& env_;
  std::vector<Message> errors_;
  std::vector<Message> warnings_;
};

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view text) {
  if (text == "trace") return LogLevel::trace;
  if (text == "debug") return LogLevel::debug;
  if (text == "info") return LogLevel::info;
  if (text == "warn") return LogLevel::warn;
  if (text == "error") return LogLevel::error;
  return std::nullopt;
}

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::trace: return "trace";
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
  }
  return "info";
}

ProviderConfig const* Config::find_provider(ProviderKind kind) const {
  for (auto const& p : providers)
    if (p.kind == kind) return &p;
  return nullptr;
}

AccountConfig const* Config::find_account(std::string_view name) const {
  for (auto const& a : accounts)
    if (a.name == name) return &a;
  return nullptr;
}

ConfigLoad load_config_text(std::string_view toml, std::string const& source_name, SecretEnvironment const& env,
                            std::string const& base_dir) {
  return Loader(source_name, base_dir, env).load(toml);
}

ConfigLoad load_config_file(std::string const& path, SecretEnvironment const& env) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    ConfigLoad out;
    out.errors.push_back("cannot read config file " + path + ": it is a directory");
    return out;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    ConfigLoad out;
    out.errors.push_back("cannot read config file " + path + ": " +
                         std::error_code(err, std::generic_category()).message());
    return out;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    ConfigLoad out;
    out.errors.push_back("cannot read config file " + path + ": read error");
    return out;
  }
  std::filesystem::path dir = std::filesystem::absolute(std::filesystem::path(path), ec).parent_path();
  return load_config_text(text.str(), path, env, ec ? std::string{} : dir.string());
}

std::string control_socket_path(std::string const& state_dir) { return state_dir + "/" + kControlSocketName; }

std::string default_config_path(SecretEnvironment const& env) {
  if (env.getenv)
    if (auto value = env.getenv("OUTREACHD_CONFIG"); value && !value->empty()) return *value;
  return std::string(kDefaultConfigPath);
}

std::string default_config_path() { return default_config_path(SecretEnvironment::from_process()); }

}  // namespace outreach
