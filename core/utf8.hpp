#pragma once
// Strict UTF-8 checks for message text and CSV cells. "Strict" means exactly the encodings of
// Unicode scalar values: no overlong forms, no surrogates (U+D800..U+DFFF), nothing above
// U+10FFFF and no truncated sequences — the bytes a provider API would reject or mangle.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace outreach {

/// Result of one pass over a byte string.
struct Utf8Scan {
  bool valid = true;
  std::size_t error_offset = 0;  ///< 0-based byte offset of the first invalid sequence (when !valid)
  std::size_t code_points = 0;   ///< code points before error_offset (all of them when valid)
};

/// Validates and counts in one pass (what template rendering uses per variable value).
Utf8Scan scan_utf8(std::string_view text);

/// True when `text` is strict UTF-8.
bool is_valid_utf8(std::string_view text);

/// 0-based byte offset of the first invalid sequence, or nullopt when `text` is valid.
std::optional<std::size_t> find_invalid_utf8(std::string_view text);

/// A control character found in message text (see find_control_character).
struct ControlCharacter {
  std::size_t offset = 0;       ///< 0-based byte offset
  std::size_t position = 0;     ///< 1-based character (code point) position, what an editor shows
  std::uint32_t code_point = 0;
};

/// The first C0 control (U+0000..U+001F, U+007F) other than newline (LF, or CR immediately followed
/// by LF) and tab, or C1 control (U+0080..U+009F), in valid UTF-8 `text`; nullopt when there is none.
std::optional<ControlCharacter> find_control_character(std::string_view text);

/// "U+001B (ESC) at character 7": the code point, its name for C0 controls and DEL, and position.
std::string describe_control_character(ControlCharacter const& control);

/// Number of code points in `text`. Meant for valid UTF-8; on invalid input it counts the bytes
/// that are not continuation bytes (never reads out of bounds).
std::size_t count_code_points(std::string_view text);

}  // namespace outreach
