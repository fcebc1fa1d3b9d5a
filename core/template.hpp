#pragma once
// Message templates: {{var}}, {{var|fallback}}, and the built-ins {{username}} / {{user_id}}.
// A template is compiled once per campaign and rendered once per recipient (a million times for a
// large file), so rendering does no parsing.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/campaign.hpp"
#include "core/result.hpp"

namespace outreach {

inline constexpr std::size_t kMaxMessageCodePoints = 10'000;

class MessageTemplate {
 public:
  /// Fails on invalid UTF-8, an unclosed "{{", or an empty or malformed variable name.
  static Result<MessageTemplate> compile(std::string_view text);

  struct Rendered {
    std::string text;
    std::vector<std::string> missing;  ///< every variable with no value and no fallback, in order of first use
    std::optional<std::string> error;  ///< set when `missing` is non-empty or the text is invalid or out of range
  };

  /// Renders for one recipient. Built-ins resolve from username/user_id; a recipient variable of
  /// the same name wins. An empty value counts as missing when no fallback is given.
  Rendered render(Vars const& vars, std::string_view username, std::string_view user_id) const;

  /// Names of all variables the template uses, in order of first use, without duplicates.
  std::vector<std::string> variables() const;

 private:
  struct Piece {
    std::string literal;                ///< used when name is empty
    std::string name;
    std::optional<std::string> fallback;
  };
  std::vector<Piece> pieces_;
};

/// True when `text` is valid UTF-8 (no overlongs, surrogates or values above U+10FFFF).
bool is_valid_utf8(std::string_view text);
/// Number of code points in valid UTF-8 text.
std::size_t count_code_points(std::string_view text);

}  // namespace outreach
