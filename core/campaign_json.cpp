#include "core/campaign_json.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/iso_time.hpp"
#include "core/problem_list.hpp"

namespace outreach {
namespace {

namespace json = boost::json;
using json::error_code;

std::string_view sv(json::string_view s) { return {s.data(), s.size()}; }

constexpr std::array<std::string_view, 8> kTopKeys{"name",           "accounts", "message",  "recipients",
                                                   "recipients_csv", "priority", "start_at", "dry_run"};
enum class TopKey : std::uint8_t { name, accounts, message, recipients, recipients_csv, priority, start_at, dry_run };

constexpr std::array<std::string_view, 3> kRecipientKeys{"username", "user_id", "vars"};
enum class RecipientKey : std::uint8_t { username, user_id, vars };

std::optional<std::size_t> find_key(std::span<std::string_view const> keys, std::string_view key) {
  for (std::size_t i = 0; i < keys.size(); ++i)
    if (keys[i] == key) return i;
  return std::nullopt;
}

/// Optimal-string-alignment distance (a swap of two neighbours counts 1), case-insensitive:
/// "reciepients", "Name" and "acounts" are all one edit from what was meant.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
  std::vector<std::size_t> prev2(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1]))
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

/// "unknown field" plus the nearest known name when it is a plausible typo.
std::string unknown_field_message(std::string_view key, std::span<std::string_view const> known) {
  std::string message = "unknown field";
  if (key.size() > 64) return message;
  std::string_view best;
  std::size_t best_distance = 3;  // at most two edits count as a typo
  for (auto k : known) {
    const std::size_t d = edit_distance(key, k);
    if (d < best_distance && d < k.size()) {
      best_distance = d;
      best = k;
    }
  }
  if (!best.empty()) message += "; did you mean \"" + std::string(best) + "\"?";
  return message;
}

/// A key as part of a location: plain names as they are, anything else quoted and escaped.
std::string key_for_location(std::string_view key) {
  const bool plain = !key.empty() && key.size() <= 64 && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
  return plain ? std::string(key) : quote_for_problem(key);
}

enum class Kind : std::uint8_t { string, integer, number, boolean, null, object, array };

std::string kind_name(Kind k) {
  switch (k) {
    case Kind::string: return "a string";
    case Kind::integer:
    case Kind::number: return "a number";
    case Kind::boolean: return "a boolean";
    case Kind::null: return "null";
    case Kind::object: return "an object";
    case Kind::array: return "an array";
  }
  return "a value";
}

/// One JSON value as the handler sees it. Strings and numbers carry their text as written.
struct Value {
  Kind kind = Kind::null;
  std::string_view text;
  bool too_long = false;               ///< the string or number exceeded its cap (text is cut)
  bool flag = false;                   ///< the boolean's value
  std::optional<std::int64_t> integer;  ///< an integer token that fits in 64 bits

  static Value of(Kind kind, std::string_view text = {}, bool too_long = false) {
    Value v;
    v.kind = kind;
    v.text = text;
    v.too_long = too_long;
    return v;
  }
};

/// Appends up to `cap` bytes in total; remembers whether anything was cut.
void append_capped(std::string& buffer, bool& too_long, std::string_view part, std::size_t cap) {
  if (buffer.size() + part.size() > cap) {
    too_long = true;
    part = part.substr(0, cap - std::min(cap, buffer.size()));
  }
  buffer.append(part);
}

/// The SAX handler (basic_parser's Handler concept). Keeps only the current recipient.
class Handler {
 public:
  static constexpr std::size_t max_array_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_object_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_string_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_key_size = std::numeric_limits<std::size_t>::max();

  explicit Handler(CampaignJsonEvents events) : events_(std::move(events)) {}

  // Structural problems are recorded, never returned as errors: the parse goes on so that one
  // run reports everything. Every callback therefore returns true.
  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) { return begin(Kind::object); }
  bool on_object_end(std::size_t, error_code&) { return end(); }
  bool on_array_begin(error_code&) { return begin(Kind::array); }
  bool on_array_end(std::size_t, error_code&) { return end(); }
  bool on_key_part(json::string_view s, std::size_t, error_code&) {
    if (skip_ == 0) append_capped(key_, key_too_long_, sv(s), kMaxJsonKeyBytes);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, error_code&) {
    if (skip_ == 0) {
      append_capped(key_, key_too_long_, sv(s), kMaxJsonKeyBytes);
      key();
    }
    key_.clear();
    key_too_long_ = false;
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, error_code&) {
    if (skip_ == 0) append_capped(string_, string_too_long_, sv(s), kMaxJsonStringBytes);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, error_code&) {
    if (skip_ == 0) {
      append_capped(string_, string_too_long_, sv(s), kMaxJsonStringBytes);
      value(Value::of(Kind::string, string_, string_too_long_));
    }
    string_.clear();
    string_too_long_ = false;
    return true;
  }
  bool on_number_part(json::string_view s, error_code&) {
    if (skip_ == 0) append_capped(number_, number_too_long_, sv(s), kMaxJsonKeyBytes);
    return true;
  }
  bool on_int64(std::int64_t i, json::string_view s, error_code&) { return number(Kind::integer, sv(s), i); }
  bool on_uint64(std::uint64_t u, json::string_view s, error_code&) {
    std::optional<std::int64_t> i;
    if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) i = static_cast<std::int64_t>(u);
    return number(Kind::integer, sv(s), i);
  }
  // The double itself is never used: ids and variables keep the token text as written.
  bool on_double(double, json::string_view s, error_code&) { return number(Kind::number, sv(s), std::nullopt); }
  bool on_bool(bool b, error_code&) {
    if (skip_ == 0) {
      Value v = Value::of(Kind::boolean, b ? "true" : "false");
      v.flag = b;
      value(v);
    }
    return true;
  }
  bool on_null(error_code&) {
    if (skip_ == 0) value(Value::of(Kind::null, "null"));
    return true;
  }
  bool on_comment_part(json::string_view, error_code&) { return true; }
  bool on_comment(json::string_view, error_code&) { return true; }

  CampaignHeader const& header() const { return header_; }
  HeaderFields const& fields() const { return fields_; }
  std::size_t recipients_seen() const { return next_recipient_; }

  void problem(ProblemScope scope, std::string location, std::string message) {
    if (events_.on_problem) events_.on_problem(Problem{std::move(location), std::move(message)}, scope);
  }

 private:
  enum class Ctx : std::uint8_t { root, accounts, recipients, recipient, vars };

  bool begin(Kind kind) {
    if (skip_ > 0) {
      ++skip_;
      return true;
    }
    if (auto enter = value(Value::of(kind))) {
      ctx_[depth_++] = *enter;
    } else {
      skip_ = 1;  // a container we do not look into: count nesting until it ends
    }
    return true;
  }

  bool end() {
    if (skip_ > 0) {
      --skip_;
      return true;
    }
    if (ctx_[--depth_] == Ctx::recipient) end_recipient();
    return true;
  }

  bool number(Kind kind, std::string_view last, std::optional<std::int64_t> integer) {
    if (skip_ == 0) {
      std::string_view text = last;
      if (!number_.empty()) {  // the token was split across chunks
        append_capped(number_, number_too_long_, last, kMaxJsonKeyBytes);
        text = number_;
      }
      Value v = Value::of(kind, text, number_too_long_);
      v.integer = integer;
      value(v);
    }
    number_.clear();
    number_too_long_ = false;
    return true;
  }

  /// Dispatches a value by where it is. Returns the context to enter for a container worth
  /// looking into; nullopt means "skip it" (it was unknown, already reported, or a scalar).
  std::optional<Ctx> value(Value const& v) {
    if (depth_ == 0) return root_value(v);
    switch (ctx_[depth_ - 1]) {
      case Ctx::root: return top_value(v);
      case Ctx::accounts: return account_value(v);
      case Ctx::recipients: return recipient_element(v);
      case Ctx::recipient: return recipient_value(v);
      case Ctx::vars: return var_value(v);
    }
    return std::nullopt;
  }

  void key() {
    switch (ctx_[depth_ - 1]) {
      case Ctx::root: top_key(); break;
      case Ctx::recipient: recipient_key(); break;
      case Ctx::vars: var_key(); break;
      case Ctx::accounts:
      case Ctx::recipients: break;  // arrays have no keys
    }
  }

  // ---- top level ----

  std::optional<Ctx> root_value(Value const& v) {
    if (v.kind == Kind::object) return Ctx::root;
    problem(ProblemScope::header, "file",
            "a campaign file must hold one JSON object ({\"name\": ..., \"accounts\": [...], ...}), not " +
                kind_name(v.kind));
    return std::nullopt;
  }

  void top_key() {
    const auto index = key_too_long_ ? std::nullopt : find_key(kTopKeys, key_);
    top_.reset();
    if (!index) {
      problem(ProblemScope::header, key_for_location(key_), unknown_field_message(key_, kTopKeys));
    } else if (top_seen_[*index]) {
      problem(ProblemScope::header, key_for_location(key_), "appears more than once; give each field once");
    } else {
      top_seen_[*index] = true;
      top_ = static_cast<TopKey>(*index);
    }
  }

  /// Reports a string over its cap; true when it did.
  bool report_too_long(Value const& v, ProblemScope scope, std::string const& location) {
    if (!v.too_long) return false;
    problem(scope, location,
            "is longer than " + with_thousands_separators(v.kind == Kind::string ? kMaxJsonStringBytes : kMaxJsonKeyBytes) +
                " bytes");
    return true;
  }

  void required_string(Value const& v, std::string& target, FieldState& state, std::string const& field) {
    if (v.kind != Kind::string) {
      problem(ProblemScope::header, field, "must be a string, not " + kind_name(v.kind));
      state = FieldState::rejected;
    } else if (report_too_long(v, ProblemScope::header, field)) {
      state = FieldState::rejected;
    } else {
      target.assign(v.text);
      state = FieldState::present;
    }
  }

  std::optional<Ctx> top_value(Value const& v) {
    if (!top_) return std::nullopt;  // unknown or duplicate field: already reported
    switch (*top_) {
      case TopKey::name: required_string(v, header_.name, fields_.name, "name"); break;
      case TopKey::message: required_string(v, header_.message, fields_.message, "message"); break;
      case TopKey::accounts:
        if (v.kind == Kind::array) {
          fields_.accounts = FieldState::present;
          return Ctx::accounts;
        }
        problem(ProblemScope::header, "accounts",
                "must be an array of account names, e.g. [\"sales-1\"], not " + kind_name(v.kind));
        fields_.accounts = FieldState::rejected;
        break;
      case TopKey::recipients:
        if (v.kind == Kind::array) {
          fields_.recipients = FieldState::present;
          return Ctx::recipients;
        }
        if (v.kind == Kind::null) break;
        problem(ProblemScope::header, "recipients",
                "must be an array of recipients, e.g. [{\"username\": \"alice\"}], not " + kind_name(v.kind));
        fields_.recipients = FieldState::rejected;
        break;
      case TopKey::recipients_csv:
        if (v.kind == Kind::null) break;
        if (v.kind != Kind::string) {
          problem(ProblemScope::header, "recipients_csv",
                  "must be a string (a CSV file name relative to the campaign file), not " + kind_name(v.kind));
          fields_.recipients_csv = FieldState::rejected;
        } else if (report_too_long(v, ProblemScope::header, "recipients_csv")) {
          fields_.recipients_csv = FieldState::rejected;
        } else {
          header_.recipients_csv = std::string(v.text);
          fields_.recipients_csv = FieldState::present;
        }
        break;
      case TopKey::priority: priority_value(v); break;
      case TopKey::start_at: start_at_value(v); break;
      case TopKey::dry_run:
        if (v.kind == Kind::boolean)
          header_.dry_run = v.flag;
        else if (v.kind != Kind::null)
          problem(ProblemScope::header, "dry_run", "must be true or false, not " + kind_name(v.kind));
        break;
    }
    return std::nullopt;
  }

  void priority_value(Value const& v) {
    constexpr auto kMin = std::numeric_limits<int>::min();
    constexpr auto kMax = std::numeric_limits<int>::max();
    if (v.kind == Kind::null) return;
    if (v.kind == Kind::integer && v.integer && *v.integer >= kMin && *v.integer <= kMax) {
      header_.priority = static_cast<int>(*v.integer);
    } else if (v.kind == Kind::integer) {
      problem(ProblemScope::header, "priority",
              quote_for_problem(v.text) + " is out of range; use a whole number from " + std::to_string(kMin) +
                  " to " + std::to_string(kMax));
    } else if (v.kind == Kind::number) {
      problem(ProblemScope::header, "priority", "must be a whole number, not " + quote_for_problem(v.text));
    } else {
      problem(ProblemScope::header, "priority", "must be a whole number, not " + kind_name(v.kind));
    }
  }

  void start_at_value(Value const& v) {
    if (v.kind == Kind::null) return;
    if (v.kind != Kind::string) {
      problem(ProblemScope::header, "start_at",
              "must be a string like \"2026-12-01T09:00:00Z\", not " + kind_name(v.kind));
      return;
    }
    if (report_too_long(v, ProblemScope::header, "start_at")) return;
    auto parsed = parse_iso8601(v.text);
    if (parsed)
      header_.start_at = *parsed;
    else
      problem(ProblemScope::header, "start_at", parsed.error().message);
  }

  // ---- accounts ----

  std::optional<Ctx> account_value(Value const& v) {
    const std::string location = "accounts[" + std::to_string(next_account_++) + "]";
    if (v.kind != Kind::string) {
      problem(ProblemScope::header, location, "must be a string (an account name), not " + kind_name(v.kind));
      fields_.accounts = FieldState::rejected;
    } else if (report_too_long(v, ProblemScope::header, location)) {
      fields_.accounts = FieldState::rejected;
    } else {
      header_.accounts.emplace_back(v.text);
    }
    return std::nullopt;
  }

  // ---- recipients ----

  std::string recipient_location() const { return "recipients[" + std::to_string(recipient_index_) + "]"; }
  std::string recipient_location(std::string_view field) const {
    return recipient_location() + "." + std::string(field);
  }
  void recipient_problem(std::string location, std::string message) {
    problem(ProblemScope::recipient, std::move(location), std::move(message));
    recipient_ok_ = false;
  }

  std::optional<Ctx> recipient_element(Value const& v) {
    recipient_index_ = next_recipient_++;
    if (!events_.on_recipient) return std::nullopt;  // a header-only pass: count, do not look inside
    recipient_ = Recipient{};
    recipient_seen_ = {};
    recipient_key_.reset();
    var_names_.clear();
    vars_overflow_reported_ = false;
    identity_problem_ = false;
    recipient_ok_ = true;
    if (v.kind == Kind::object) return Ctx::recipient;
    recipient_problem(recipient_location(),
                      "must be an object like {\"username\": \"alice\"} or {\"user_id\": \"44196397\"}, not " +
                          kind_name(v.kind));
    emit_recipient();
    return std::nullopt;
  }

  void recipient_key() {
    const auto index = key_too_long_ ? std::nullopt : find_key(kRecipientKeys, key_);
    recipient_key_.reset();
    if (!index) {
      recipient_problem(recipient_location(key_for_location(key_)), unknown_field_message(key_, kRecipientKeys));
    } else if (recipient_seen_[*index]) {
      recipient_problem(recipient_location(key_), "appears more than once; give each field once");
    } else {
      recipient_seen_[*index] = true;
      recipient_key_ = static_cast<RecipientKey>(*index);
    }
  }

  std::optional<Ctx> recipient_value(Value const& v) {
    if (!recipient_key_) return std::nullopt;
    switch (*recipient_key_) {
      case RecipientKey::username: identity_value(v, "username"); break;
      case RecipientKey::user_id: identity_value(v, "user_id"); break;
      case RecipientKey::vars:
        if (v.kind == Kind::object) return Ctx::vars;
        if (v.kind != Kind::null)
          recipient_problem(recipient_location("vars"),
                            "must be an object of variables, e.g. {\"name\": \"Alice\"}, not " + kind_name(v.kind));
        break;
    }
    return std::nullopt;
  }

  void identity_value(Value const& v, std::string_view field) {
    const bool is_username = field == "username";
    if (v.kind == Kind::null) return;  // same as leaving the field out
    const auto location = [&] { return recipient_location(field); };
    identity_problem_ = true;  // cleared below on success
    if (v.kind == Kind::integer || v.kind == Kind::number) {
      // Reported from the token text: a double would already have rounded 1858475867762270208.
      recipient_problem(location(), is_username ? "must be a string, not a number"
                                              : "ids must be strings: write " + quote_for_problem(v.text) +
                                                    " in quotes (JSON numbers cannot hold every id exactly)");
      return;
    }
    if (v.kind != Kind::string) {
      recipient_problem(location(), "must be a string, not " + kind_name(v.kind));
      return;
    }
    if (v.too_long) {
      report_too_long(v, ProblemScope::recipient, location());
      recipient_ok_ = false;
      return;
    }
    auto checked = is_username ? normalize_username(v.text) : check_user_id(v.text);
    if (!checked) {
      recipient_problem(location(), checked.error().message);
      return;
    }
    (is_username ? recipient_.username : recipient_.user_id) = std::move(*checked);
    identity_problem_ = false;
  }

  void end_recipient() {
    if (recipient_.username.empty() && recipient_.user_id.empty() && !identity_problem_)
      recipient_problem(recipient_location(), "needs a \"username\" or a \"user_id\"");
    emit_recipient();
  }

  void emit_recipient() {
    if (events_.on_recipient) events_.on_recipient(recipient_index_, std::move(recipient_), recipient_ok_);
    recipient_ = Recipient{};
  }

  // ---- vars ----

  void var_key() {
    var_name_.reset();
    const auto location = [&] { return recipient_location("vars." + key_for_location(key_)); };
    if (key_too_long_) {
      recipient_problem(location(), "variable name is longer than " + with_thousands_separators(kMaxJsonKeyBytes) +
                                      " bytes");
    } else if (std::find(var_names_.begin(), var_names_.end(), key_) != var_names_.end()) {
      recipient_problem(location(), "appears more than once; give each variable once");
    } else if (var_names_.size() >= kMaxVarsPerRecipient) {
      if (!vars_overflow_reported_)
        recipient_problem(recipient_location("vars"),
                          "has more than " + with_thousands_separators(kMaxVarsPerRecipient) + " variables");
      vars_overflow_reported_ = true;
      recipient_ok_ = false;
    } else {
      var_names_.push_back(key_);
      var_name_ = key_;
    }
  }

  std::optional<Ctx> var_value(Value const& v) {
    if (!var_name_) return std::nullopt;
    const auto location = [&] { return recipient_location("vars." + key_for_location(*var_name_)); };
    switch (v.kind) {
      case Kind::null: break;  // "no value": a fallback or a missing-variable problem applies
      case Kind::string:
      case Kind::integer:
      case Kind::number:
      case Kind::boolean:
        if (v.too_long) {
          report_too_long(v, ProblemScope::recipient, location());
          recipient_ok_ = false;
        } else {
          recipient_.vars.emplace_back(*var_name_, std::string(v.text));
        }
        break;
      case Kind::object:
      case Kind::array:
        recipient_problem(location(), "must be a string, number or boolean, not " + kind_name(v.kind));
        break;
    }
    return std::nullopt;
  }

  CampaignJsonEvents events_;
  CampaignHeader header_;
  HeaderFields fields_;

  // Where we are. The campaign schema is at most 4 containers deep (root, recipients, one
  // recipient, its vars); anything deeper is inside a skipped container.
  std::array<Ctx, 4> ctx_{};
  std::size_t depth_ = 0;
  std::size_t skip_ = 0;  ///< > 0 while inside a container being skipped

  // Token buffers, reused: a key, string or number may arrive in several parts.
  std::string key_;
  bool key_too_long_ = false;
  std::string string_;
  bool string_too_long_ = false;
  std::string number_;
  bool number_too_long_ = false;

  std::optional<TopKey> top_;
  std::array<bool, kTopKeys.size()> top_seen_{};
  std::size_t next_account_ = 0;

  std::size_t next_recipient_ = 0;
  std::size_t recipient_index_ = 0;
  Recipient recipient_;
  bool recipient_ok_ = true;
  bool identity_problem_ = false;  ///< username/user_id was given but rejected
  std::array<bool, kRecipientKeys.size()> recipient_seen_{};
  std::optional<RecipientKey> recipient_key_;
  std::vector<std::string> var_names_;  ///< includes null-valued ones, for the duplicate check
  std::optional<std::string> var_name_;
  bool vars_overflow_reported_ = false;
};

/// Where a byte stands for push(): outside strings, inside one, or right after a backslash in one.
enum class Lexeme : unsigned char { outside, string, escape };

constexpr std::string_view kBom = "\xEF\xBB\xBF";

std::string describe_syntax_error(error_code const& ec, std::string_view rest) {
  if (ec == json::error::extra_data) return "unexpected text after the end of the campaign object";
  if (ec == json::error::too_deep) return "invalid JSON: nested too deeply";
  if (ec == json::error::incomplete) return "the file ends before the JSON is complete (a missing '}' or ']'?)";
  if (ec != json::error::syntax) return "invalid JSON: " + ec.message();
  if (rest.empty()) return "invalid JSON";
  const auto c = static_cast<unsigned char>(rest.front());
  static constexpr char kHex[] = "0123456789ABCDEF";
  const std::string hex = {'0', 'x', kHex[c >> 4], kHex[c & 0xF]};
  if (c >= 0x80) return "invalid JSON: unexpected byte " + hex + " (not valid UTF-8, or outside a string)";
  if (c < 0x20 || c == 0x7F) return "invalid JSON: control character " + hex + " (inside a string, write it escaped)";
  return std::string("invalid JSON: unexpected '") + static_cast<char>(c) + "'";
}

}  // namespace

struct CampaignJsonParser::Impl {
  explicit Impl(CampaignJsonEvents events) : parser(json::parse_options{}, std::move(events)) {}

  /// Moves the line/column past bytes the parser consumed. Columns count code points.
  void advance(std::string_view consumed) {
    for (const char c : consumed) {
      if (c == '\n') {
        ++line;
        column = 1;
      } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
        ++column;
      }
      if (!saw_content && c != ' ' && c != '\t' && c != '\r' && c != '\n') saw_content = true;
    }
  }

  void syntax_error(error_code const& ec, std::string_view rest) {
    failed = true;
    if (ec == json::error::incomplete && !saw_content) {
      parser.handler().problem(ProblemScope::document, "file", "is empty; a campaign file holds one JSON object");
      return;
    }
    parser.handler().problem(ProblemScope::document,
                             "line " + std::to_string(line) + " column " + std::to_string(column),
                             describe_syntax_error(ec, rest));
  }

  void write(std::string_view chunk);
  void push(std::string_view chunk);

  json::basic_parser<Handler> parser;
  std::string bom_held;  ///< leading bytes that match the start of a BOM, not yet passed on
  std::string carry;     ///< the end of the last chunk, held back by push() (see there)
  Lexeme lexeme = Lexeme::outside;  ///< where the first byte of `carry` stands
  bool bom_decided = false;
  std::size_t line = 1;
  std::size_t column = 1;
  bool saw_content = false;
  bool failed = false;
  bool finished = false;
};

CampaignJsonParser::CampaignJsonParser(CampaignJsonEvents events) : impl_(std::make_unique<Impl>(std::move(events))) {}
CampaignJsonParser::~CampaignJsonParser() = default;

void CampaignJsonParser::Impl::write(std::string_view chunk) {
  if (failed || chunk.empty()) return;
  error_code ec;
  const std::size_t consumed = parser.write_some(true, chunk.data(), chunk.size(), ec);
  advance(chunk.substr(0, consumed));
  // basic_parser stops at the first byte after a complete document without calling it an error.
  if (!ec && consumed < chunk.size()) ec = json::error::extra_data;
  if (ec) syntax_error(ec, chunk.substr(consumed));
}

namespace {

Lexeme next_lexeme(Lexeme state, char c) {
  switch (state) {
    case Lexeme::outside: return c == '"' ? Lexeme::string : Lexeme::outside;
    case Lexeme::string: return c == '"' ? Lexeme::outside : c == '\\' ? Lexeme::escape : Lexeme::string;
    case Lexeme::escape: return Lexeme::string;
  }
  return state;
}

bool token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.';
}

/// Whether the byte at `i` (seen in `state`) begins a token that basic_parser checks several bytes
/// at a time when they are all in its buffer: a literal or number outside strings, an escape or a
/// UTF-8 sequence inside one (or a stray non-ASCII byte outside).
bool starts_lookahead_token(std::string_view s, std::size_t i, Lexeme state) {
  const auto u = static_cast<unsigned char>(s[i]);
  if (state == Lexeme::string) return u == '\\' || u >= 0xC0;
  if (state == Lexeme::escape) return false;
  if (u >= 0x80) return true;
  const bool begins = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '-';
  return begins && (i == 0 || !token_char(s[i - 1]));
}

}  // namespace

/// Where a syntax error is reported must not depend on where the input was split (the unit tests
/// promise the same line and column however the bytes arrive). basic_parser checks a literal, an
/// escape or a UTF-8 sequence in one step when enough of its bytes are in its buffer and reports a
/// bad one at its start, but when the buffer ends first it suspends and later reports the first
/// mismatching byte instead. So each chunk is cut where no such token starts within the last
/// kLookahead bytes before the cut, and the rest is passed on with the next chunk (or at finish()):
/// the parser sees every token as if the file had come in one piece. Text inside strings is never
/// held back, so a recipient is still handed out as soon as its closing brace arrives. The carried
/// bytes are bounded; a longer run of such tokens is cut between two characters outside escapes.
void CampaignJsonParser::Impl::push(std::string_view chunk) {
  constexpr std::size_t kLookahead = 16;  // a literal, a UTF-8 sequence, a \u surrogate pair (12)
  constexpr std::size_t kMaxCarry = 4096;
  if (failed) return;
  std::string data;
  if (!carry.empty()) {
    data = std::move(carry);
    data.append(chunk);
    chunk = data;
  }
  // Token starts near the end, with the state before each byte.
  std::vector<std::size_t> starts;
  std::vector<Lexeme> states(chunk.size() + 1);
  states[0] = lexeme;
  const std::size_t scan_from = chunk.size() > kMaxCarry + kLookahead ? chunk.size() - kMaxCarry - kLookahead : 0;
  for (std::size_t i = 0; i < chunk.size(); ++i) {
    if (i >= scan_from && starts_lookahead_token(chunk, i, states[i])) starts.push_back(i);
    states[i + 1] = next_lexeme(states[i], chunk[i]);
  }
  std::size_t cut = chunk.size();
  while (!starts.empty()) {
    if (starts.back() >= cut) {
      starts.pop_back();
      continue;
    }
    if (cut - starts.back() >= kLookahead) break;  // every token before the cut has its bytes
    if (chunk.size() - starts.back() > kMaxCarry) {
      // A long dense run (non-ASCII text or escapes in a string): cut between two characters.
      while (cut < chunk.size() && (states[cut] == Lexeme::escape ||
                                    (static_cast<unsigned char>(chunk[cut]) & 0xC0) == 0x80 ||
                                    (cut > 0 && chunk[cut - 1] == '\\')))
        ++cut;
      break;
    }
    cut = starts.back();
  }
  lexeme = states[cut];
  carry = std::string(chunk.substr(cut));
  write(chunk.substr(0, cut));
}

void CampaignJsonParser::feed(std::string_view chunk) {
  if (impl_->failed || impl_->finished || chunk.empty()) return;
  if (!impl_->bom_decided) {
    // Editors on Windows save UTF-8 with a byte-order mark; JSON (RFC 8259 §8.1) lets a parser
    // ignore it. It may arrive split across chunks, so its bytes are held until it is decided.
    std::string& held = impl_->bom_held;
    while (!chunk.empty() && held.size() < kBom.size() && chunk.front() == kBom[held.size()]) {
      held += chunk.front();
      chunk.remove_prefix(1);
    }
    if (held.size() < kBom.size() && chunk.empty()) return;
    impl_->bom_decided = true;
    if (held.size() < kBom.size()) impl_->push(held);  // not a BOM: those bytes are the file's
    held.clear();
  }
  impl_->push(chunk);
}

void CampaignJsonParser::finish() {
  if (impl_->failed || impl_->finished) return;
  if (!impl_->bom_decided) {
    impl_->bom_decided = true;
    impl_->push(impl_->bom_held);  // a file that is only the start of a BOM
  }
  impl_->write(impl_->carry);
  impl_->carry.clear();
  if (impl_->failed) return;
  impl_->finished = true;
  error_code ec;
  impl_->parser.write_some(false, nullptr, 0, ec);
  if (ec) impl_->syntax_error(ec, {});
}

CampaignHeader const& CampaignJsonParser::header() const { return impl_->parser.handler().header(); }
HeaderFields const& CampaignJsonParser::fields() const { return impl_->parser.handler().fields(); }
std::size_t CampaignJsonParser::recipients_seen() const { return impl_->parser.handler().recipients_seen(); }
bool CampaignJsonParser::syntax_error() const { return impl_->failed; }

}  // namespace outreach
