#pragma once
// Comparing the text a send carried with the text of a message read back from the account's
// inbox (docs/send-rules.md#in-doubt-sends: reconciliation). The provider does not hand back the
// bytes we sent: X rewrites every link to a t.co link and may change whitespace, and the APIs
// escape &, < and > as HTML entities in message text. So both texts are normalised the same way
// and then compared byte for byte.
//
// Normalisation (normalize_for_match), in one pass over the bytes:
//   - every run of whitespace becomes one space; leading and trailing whitespace is dropped.
//     Whitespace is ASCII space, tab, LF, VT, FF, CR and the Unicode White_Space characters
//     U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F and U+3000.
//     Zero-width characters (U+200B, U+2060, U+FEFF) are not whitespace and are kept;
//   - every link becomes kLinkMark, so any link equals any link. A link is
//       * "http://" or "https://" (scheme in any case: "HTTP://") wherever it starts, or
//       * "t.co/" or "www." (any case) at the start of a word, i.e. not preceded by a letter,
//         digit, '.', '-', '_', '@' or '/',
//     followed by at least one character that is not whitespace, and it runs up to the next
//     whitespace or the end. Trailing punctuation belongs to the link ("see https://a.io/x." is
//     "see <link>"): link detectors disagree about it (X keeps a closing parenthesis that balances
//     one inside the link), and swallowing it on both sides cannot make a rewritten link differ
//     from the original; the price is that punctuation glued to a link is not compared;
//   - "&amp;", "&lt;" and "&gt;" become "&", "<" and ">" (outside links);
//   - everything else is kept as it is, case included. Invalid UTF-8 is not an error: bytes
//     that are not one of the sequences above are copied unchanged.
// Bare domains ("example.com") are not recognised as links: a provider that turns them into
// t.co links makes such a text not match.
#include <cstddef>
#include <string>
#include <string_view>

namespace outreach {

/// What every link becomes. U+001A (SUBSTITUTE) is a control character that message validation
/// refuses in sent texts, so no written text can equal a link by accident.
inline constexpr std::string_view kLinkMark = "\x1A";

/// Byte length of the whitespace character starting at text[offset] (see above), 0 when the
/// bytes there are not whitespace (or offset is at or past the end). Never reads past the end.
std::size_t whitespace_length_at(std::string_view text, std::size_t offset);

/// The text with whitespace runs collapsed and trimmed, links replaced by kLinkMark and
/// &amp; &lt; &gt; decoded (see above).
std::string normalize_for_match(std::string_view text);

/// True when both texts normalise to the same non-empty string. A text that is empty or only
/// whitespace carries no evidence and matches nothing (not even another empty text), so a
/// media-only message can never confirm a send.
bool texts_match(std::string_view sent, std::string_view seen);

}  // namespace outreach
