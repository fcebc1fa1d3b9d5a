#pragma once
// Message templates (README.md#campaign-files): {{var}}, {{var|fallback}}, and the built-ins
// {{username}} / {{user_id}}. A template is compiled once per campaign and rendered once per
// recipient (a million times for a large file), so all parsing and all checks of the template text
// happen in compile(); render() only looks values up, copies bytes and checks the variable values.
//
// Syntax:
// - `{{name}}`, `{{ name }}`: spaces/tabs around the name are ignored. A name matches
//   [A-Za-z_][A-Za-z0-9_.-]*.
// - `{{name|fallback}}`: the fallback is everything after the first '|' up to "}}", with
//   surrounding spaces/tabs trimmed; it may be empty (`{{name|}}`) and may contain spaces and '|'.
// - "{{" always opens a tag, closed by the next "}}". A lone "}}", "{" or "}" is literal text.
//   There is no escape for a literal "{{".
//
// Lookup of a name for one recipient: the first recipient variable with that name; else, for
// `username` / `user_id`, the recipient's own username / user_id. An empty value counts as absent.
// An absent value uses the fallback; with no fallback the variable is missing.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/campaign.hpp"
#include "core/result.hpp"
#include "core/utf8.hpp"

namespace outreach {

/// A rendered message must be 1..kMaxMessageCodePoints code points (README.md#campaign-files).
inline constexpr std::size_t kMaxMessageCodePoints = 10'000;

class MessageTemplate {
 public:
  /// Fails on invalid UTF-8 (message gives the byte offset), a control character other than newline
  /// and tab (see find_control_character), an unclosed "{{", a "{{" inside a tag, or an empty or
  /// malformed variable name (message gives the 1-based character position).
  static Result<MessageTemplate> compile(std::string_view text);

  struct Rendered {
    std::string text;                  ///< the message (partial when there is an error)
    std::vector<std::string> missing;  ///< every variable with no value and no fallback, in order of first use
    std::optional<std::string> error;  ///< one or more sentences; set iff the message must not be sent

    bool ok() const { return !error.has_value(); }
  };

  /// Renders for one recipient. `error` reports, together: all missing variables, every variable
  /// whose value is not valid UTF-8, and (only if neither) a length outside 1..10,000 code points.
  Rendered render(Vars const& vars, std::string_view username, std::string_view user_id) const;

  /// Names of all variables the template uses (built-ins included), in order of first use,
  /// without duplicates.
  std::vector<std::string> variables() const;

 private:
  struct Piece {
    std::string literal;  ///< the text when name is empty; else the fallback (if has_fallback)
    std::string name;     ///< empty for a literal piece
    bool has_fallback = false;
    std::size_t code_points = 0;  ///< of `literal`, so render() never rescans template text
    enum class Builtin { none, username, user_id } builtin = Builtin::none;
  };
  std::vector<Piece> pieces_;
  std::size_t literal_bytes_ = 0;  ///< sum of literal piece sizes, to reserve once per render
};

}  // namespace outreach
