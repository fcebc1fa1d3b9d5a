// core/template: message templates ({{var}}, {{var|fallback}}, {{username}}, {{user_id}}).
// Input: the template text, then (after a NUL byte) recipient variables as "name=value" lines;
// the variables named "@username" / "@user_id" set the recipient's own fields.
// Invariants:
// - compile errors are one sentence with a location: a byte offset (bad UTF-8) or a 1-based
//   character position inside the text;
// - compile never accepts invalid UTF-8, control characters or an unclosed "{{";
// - variables() lists valid names, each once; render is deterministic;
// - rendering with every variable given (fresh values) misses nothing and equals an independent
//   expansion of the tags; without "{{" the text renders as itself;
// - a render error is set exactly when something is missing, a value is not UTF-8, or the length
//   is outside 1..10,000 code points; a successful render is valid UTF-8 of that length.
#include <algorithm>

#include "common.hpp"
#include "core/template.hpp"
#include "core/utf8.hpp"

using namespace outreach;

namespace {

bool is_name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9') || c == '.' || c == '-'; }

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// The location in a compile error: "byte offset N" (0-based) or "character N" (1-based).
void check_compile_error(std::string_view text, std::string const& message) {
  FUZZ_CHECK(fuzz::starts_with(message, "message "), fuzz::show(message));
  std::size_t n = 0;
  if (fuzz::starts_with(message, "message is not valid UTF-8 (invalid byte at byte offset ")) {
    FUZZ_CHECK(fuzz::number_after(message, "byte offset ", n), fuzz::show(message));
    FUZZ_CHECK(n < text.size(), fuzz::show(message));
    FUZZ_CHECK(find_invalid_utf8(text) == n, fuzz::show(message));
    return;
  }
  FUZZ_CHECK(is_valid_utf8(text), "invalid UTF-8 reported without its offset: " + fuzz::show(message));
  FUZZ_CHECK(fuzz::number_after(message, "at character ", n, /*last=*/true), "no location in " + fuzz::show(message));
  FUZZ_CHECK(n >= 1 && n <= count_code_points(text), fuzz::show(message) + " for a text of " +
                                                         std::to_string(count_code_points(text)) + " characters");
}

/// Expands every tag with `value_of(name)` (never empty), independently of MessageTemplate.
template <class ValueOf>
std::string expand(std::string_view text, ValueOf value_of) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto open = text.find("{{", i);
    if (open == std::string_view::npos) {
      out.append(text.substr(i));
      break;
    }
    out.append(text.substr(i, open - i));
    const auto close = text.find("}}", open + 2);
    const std::string_view inner = text.substr(open + 2, close - open - 2);
    out += value_of(trim_blanks(inner.substr(0, inner.find('|'))));
    i = close + 2;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  const auto [text, var_text] = fuzz::split_once(fuzz::as_text(data, size), std::string_view("\0", 1));
  Vars vars;
  std::string username = "alice";
  std::string user_id = "44196397";
  for (std::string_view line : fuzz::split_lines(var_text)) {
    auto [name, value] = fuzz::split_once(line, "=");
    if (name == "@username") username = std::string(value);
    else if (name == "@user_id") user_id = std::string(value);
    else vars.emplace_back(std::string(name), std::string(value));
  }

  auto compiled = MessageTemplate::compile(text);
  if (!compiled) {
    check_compile_error(text, compiled.error().message);
    return 0;
  }
  FUZZ_CHECK(is_valid_utf8(text), "compiled invalid UTF-8");
  FUZZ_CHECK(!find_control_character(text), "compiled a control character");
  MessageTemplate const& t = *compiled;

  const std::vector<std::string> names = t.variables();
  for (std::size_t i = 0; i < names.size(); ++i) {
    std::string const& n = names[i];
    FUZZ_CHECK(!n.empty() && is_name_start(n[0]) && std::all_of(n.begin(), n.end(), is_name_char), fuzz::show(n));
    FUZZ_CHECK(std::find(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(i), n) ==
                   names.begin() + static_cast<std::ptrdiff_t>(i),
               "variables() repeats " + n);
    FUZZ_CHECK(fuzz::contains(text, n), n);
  }

  // Deterministic, and consistent about what is missing.
  const auto r1 = t.render(vars, username, user_id);
  const auto r2 = t.render(vars, username, user_id);
  FUZZ_CHECK(r1.text == r2.text && r1.missing == r2.missing && r1.error == r2.error, "render is not deterministic");
  for (std::string const& m : r1.missing)
    FUZZ_CHECK(std::find(names.begin(), names.end(), m) != names.end(), "missing " + m + " is not a variable");
  bool bad_value = false;
  for (auto const& [name, value] : vars) bad_value = bad_value || !is_valid_utf8(value);
  bad_value = bad_value || !is_valid_utf8(username) || !is_valid_utf8(user_id);
  if (r1.ok()) {
    FUZZ_CHECK(r1.missing.empty(), "");
    FUZZ_CHECK(is_valid_utf8(r1.text), "rendered invalid UTF-8");
    const std::size_t cps = count_code_points(r1.text);
    FUZZ_CHECK(cps >= 1 && cps <= kMaxMessageCodePoints, std::to_string(cps) + " code points");
  } else {
    FUZZ_CHECK(!r1.error->empty(), "an empty error sentence");
    const std::size_t cps = count_code_points(r1.text);
    FUZZ_CHECK(!r1.missing.empty() || bad_value || cps == 0 || cps > kMaxMessageCodePoints,
               "render failed without a reason: " + *r1.error);
  }

  // Every variable given a fresh value: nothing is missing and the text is the plain expansion.
  Vars all;
  for (std::size_t i = 0; i < names.size(); ++i) all.emplace_back(names[i], "<v" + std::to_string(i) + ">");
  const auto full = t.render(all, "", "");
  FUZZ_CHECK(full.missing.empty(), "missing with every variable given");
  const std::string expected = expand(text, [&](std::string_view name) {
    const auto it = std::find(names.begin(), names.end(), name);
    FUZZ_CHECK(it != names.end(), "tag " + std::string(name) + " not in variables()");
    return "<v" + std::to_string(it - names.begin()) + ">";
  });
  FUZZ_CHECK(full.text == expected, "rendered " + fuzz::show(full.text) + ", expected " + fuzz::show(expected));
  if (!fuzz::contains(text, "{{") && !text.empty() && count_code_points(text) <= kMaxMessageCodePoints) {
    const auto plain = t.render({}, "", "");
    FUZZ_CHECK(plain.ok() && plain.text == text, "a text without tags did not render as itself");
  }
  return 0;
}
