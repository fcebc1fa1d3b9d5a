#pragma once
// Opt-out replies: a reply that only says "stop" puts its sender on the suppression list. A reply
// is an opt-out when its *whole* text, normalised, equals one of the configured keywords, also
// normalised: "STOP." and "  Stop!!! " opt out, "stop please" and "don't stop" do not.
//
// Normalisation (normalize_opt_out_text):
//   - ASCII letters are lower-cased; nothing else is ("ÉTEINDRE" stays as it is, and a fullwidth
//     "ＳＴＯＰ" is not "stop"). Keywords are expected in ASCII, as the defaults are;
//   - whitespace (the set of core/message_match.hpp: ASCII and Unicode spaces, NBSP, line breaks)
//     is trimmed at both ends and every run inside becomes one space, so "opt  out" is "opt out";
//   - trailing punctuation is removed, with any whitespace between or after it: . ! ? , ; : and
//     their Unicode forms … (U+2026), ‼ (U+203C), ⁇ ⁈ ⁉ (U+2047..U+2049), 。 、 (U+3002, U+3001)
//     and the fullwidth ！ ， ． ： ； ？ (U+FF01, U+FF0C, U+FF0E, U+FF1A, U+FF1B, U+FF1F).
//     Leading punctuation, quotes, brackets and emoji are kept: "stop 🛑" is not an opt-out.
// Invalid UTF-8 is not an error: such bytes are kept and simply match no keyword.
#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace outreach {

/// `[inbox] opt_out_keywords` when the config does not set it.
inline constexpr std::array<std::string_view, 5> kDefaultOptOutKeywords{"stop", "unsubscribe", "opt out",
                                                                        "optout", "remove me"};

/// kDefaultOptOutKeywords as the config's value type.
std::vector<std::string> default_opt_out_keywords();

/// The text lower-cased (ASCII), trimmed, whitespace runs collapsed and trailing punctuation
/// removed (see above). "  Opt   OUT!! \n" → "opt out".
std::string normalize_opt_out_text(std::string_view text);

/// True when the reply, normalised, equals one of the keywords, normalised. A keyword that
/// normalises to nothing ("", "!!") is ignored, so an empty or punctuation-only reply never
/// opts out.
bool is_opt_out(std::string_view reply_text, std::vector<std::string> const& keywords);

}  // namespace outreach
