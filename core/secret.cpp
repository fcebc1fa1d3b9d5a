#include "core/secret.hpp"

namespace outreach {

std::string redact(std::string text, std::initializer_list<std::string_view> secrets) {
  for (std::string_view s : secrets) {
    if (s.size() < 4) continue;  // a 1–3 character "secret" would shred ordinary text
    for (auto pos = text.find(s); pos != std::string::npos; pos = text.find(s, pos + Secret::redacted().size()))
      text.replace(pos, s.size(), Secret::redacted());
  }
  return text;
}

}  // namespace outreach
