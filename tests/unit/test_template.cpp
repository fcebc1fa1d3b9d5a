#include <doctest/doctest.h>

#include <string>

#include "core/template.hpp"

using namespace outreach;

namespace {

MessageTemplate compile_ok(std::string const& text) {
  auto t = MessageTemplate::compile(text);
  REQUIRE_MESSAGE(t.has_value(), (t.has_error() ? t.error().message : std::string()));
  return *t;
}

std::string render_ok(std::string const& text, Vars const& vars, std::string const& username = "alice",
                      std::string const& user_id = "42") {
  auto r = compile_ok(text).render(vars, username, user_id);
  CHECK_MESSAGE(r.ok(), r.error.value_or(""));
  CHECK(r.missing.empty());
  return r.text;
}

void check_compile_error(std::string const& text, std::string const& fragment) {
  auto t = MessageTemplate::compile(text);
  REQUIRE_MESSAGE(t.has_error(), text);
  CHECK_MESSAGE(t.error().message.find(fragment) != std::string::npos, t.error().message);
}

}  // namespace

TEST_CASE("template: variables and literal text") {
  CHECK(render_ok("Hi {{name}}!", {{"name", "Alice"}}) == "Hi Alice!");
  CHECK(render_ok("{{a}}{{b}}", {{"a", "1"}, {"b", "2"}}) == "12");
  CHECK(render_ok("{{a}} and {{a}}", {{"a", "x"}}) == "x and x");
  CHECK(render_ok("no tags at all", {}) == "no tags at all");
  CHECK(render_ok("Hi {{ name }}, {{\tname\t}}", {{"name", "Bo"}}) == "Hi Bo, Bo");
  CHECK(render_ok("{{first.name}} {{last-name}} {{_x9}}", {{"first.name", "A"}, {"last-name", "B"}, {"_x9", "C"}}) ==
        "A B C");
  // Values are inserted verbatim, never re-parsed as template text.
  CHECK(render_ok("{{a}}", {{"a", "{{b}}"}}) == "{{b}}");
  // Variable names are case-sensitive; the first of duplicate variables is used.
  CHECK(render_ok("{{Name}}/{{name}}", {{"name", "low"}, {"Name", "Up"}}) == "Up/low");
  CHECK(render_ok("{{a}}", {{"a", "first"}, {"a", "second"}}) == "first");
}

TEST_CASE("template: fallbacks") {
  CHECK(render_ok("Try {{product|our new app}}.", {}) == "Try our new app.");
  CHECK(render_ok("Try {{product|our new app}}.", {{"product", "v2"}}) == "Try v2.");
  CHECK(render_ok("Try {{product|our new app}}.", {{"product", ""}}) == "Try our new app.");  // empty = absent
  CHECK(render_ok("Hi{{name|}}!", {}) == "Hi!");                                               // empty fallback
  CHECK(render_ok("Hi {{ name | friend }}!", {}) == "Hi friend!");                            // trimmed
  CHECK(render_ok("{{x|a|b}}", {}) == "a|b");
  CHECK(render_ok("{{x|}}}", {}) == "}");
  // The first "}}" closes the tag: the fallback is "{ ok" and the last "}" is literal text.
  CHECK(render_ok("{{x|{ ok }}}", {}) == "{ ok}");
  CHECK(render_ok("{{x|caf\xC3\xA9}}", {}) == "caf\xC3\xA9");
}

TEST_CASE("template: built-ins username and user_id, overridden by recipient variables") {
  CHECK(render_ok("@{{username}} #{{user_id}}", {}, "alice", "42") == "@alice #42");
  CHECK(render_ok("@{{username}}", {{"username", "Alice A."}}, "alice", "42") == "@Alice A.");
  CHECK(render_ok("#{{user_id}}", {{"user_id", "override"}}, "alice", "42") == "#override");
  // An empty variable does not hide the built-in.
  CHECK(render_ok("@{{username}}", {{"username", ""}}, "alice", "42") == "@alice");
  // A recipient with only a user_id has no username: missing unless there is a fallback.
  CHECK(render_ok("Hi {{username|there}}", {}, "", "42") == "Hi there");
  auto r = compile_ok("Hi {{username}}").render({}, "", "42");
  CHECK_FALSE(r.ok());
  CHECK(r.missing == std::vector<std::string>{"username"});
  r = compile_ok("#{{user_id}}").render({}, "alice", "");
  CHECK(r.missing == std::vector<std::string>{"user_id"});
}

TEST_CASE("template: every missing variable is reported at once, in order of first use") {
  auto t = compile_ok("{{b}} {{a}} {{ok}} {{b}} {{c|fine}} {{d}} {{e}}");
  auto r = t.render({{"ok", "yes"}, {"e", ""}}, "alice", "42");
  CHECK_FALSE(r.ok());
  CHECK(r.missing == std::vector<std::string>{"b", "a", "d", "e"});
  REQUIRE(r.error);
  CHECK(*r.error == "no value and no fallback for {{b}}, {{a}}, {{d}}, {{e}}");
}

TEST_CASE("template: the rendered length is 1..10,000 code points") {
  auto t = compile_ok("{{body}}");
  CHECK(t.render({{"body", std::string(10'000, 'x')}}, "a", "1").ok());
  auto r = t.render({{"body", std::string(10'001, 'x')}}, "a", "1");
  REQUIRE_FALSE(r.ok());
  CHECK(*r.error == "the rendered message is 10001 characters long, above the limit of 10000");

  // Multi-byte characters count once: 10,000 euro signs are 30,000 bytes but within the limit.
  std::string euros;
  for (int i = 0; i < 10'000; ++i) euros += "\xE2\x82\xAC";
  CHECK(t.render({{"body", euros}}, "a", "1").ok());
  CHECK_FALSE(t.render({{"body", euros + "\xF0\x9F\x98\x80"}}, "a", "1").ok());

  // Literal text and values add up: 9,998 literal + 2-character value is exactly the limit.
  auto mixed = compile_ok(std::string(9'998, 'y') + "{{v}}");
  CHECK(mixed.render({{"v", "\xC3\xA9\xC3\xA9"}}, "a", "1").ok());
  CHECK_FALSE(mixed.render({{"v", "\xC3\xA9\xC3\xA9\xC3\xA9"}}, "a", "1").ok());
  // Fallback text counts too.
  auto with_fallback = compile_ok(std::string(9'999, 'y') + "{{v|ab}}");
  CHECK_FALSE(with_fallback.render({}, "a", "1").ok());
  CHECK(with_fallback.render({{"v", "a"}}, "a", "1").ok());
  // A long template whose literal text alone exceeds the limit compiles, but never renders.
  CHECK_FALSE(compile_ok(std::string(10'001, 'z')).render({}, "a", "1").ok());
}

TEST_CASE("template: an empty rendered message is an error") {
  CHECK(MessageTemplate::compile("").has_value());
  auto r = compile_ok("").render({}, "a", "1");
  REQUIRE_FALSE(r.ok());
  CHECK(*r.error == "the rendered message is empty");
  r = compile_ok("{{x|}}").render({}, "a", "1");
  REQUIRE_FALSE(r.ok());
  CHECK(*r.error == "the rendered message is empty");
  CHECK(r.missing.empty());
  CHECK(compile_ok("{{x|}}").render({{"x", " "}}, "a", "1").ok());
}

TEST_CASE("template: a variable value that is not valid UTF-8 is an error naming the variable") {
  auto t = compile_ok("Hi {{name}} {{city}} {{name}}");
  auto r = t.render({{"name", "A\xFF"}, {"city", "Paris"}}, "a", "1");
  REQUIRE_FALSE(r.ok());
  CHECK(*r.error == "the value of {{name}} is not valid UTF-8 (invalid byte at byte offset 1)");
  // A truncated sequence and a surrogate are caught too, also in a built-in.
  CHECK_FALSE(t.render({{"name", "\xC3"}, {"city", "x"}}, "a", "1").ok());
  CHECK_FALSE(t.render({{"name", "\xED\xA0\x80"}, {"city", "x"}}, "a", "1").ok());
  CHECK_FALSE(compile_ok("{{username}}").render({}, "bad\xC0\x80", "1").ok());
  // Two halves of a character in two variables are each invalid, though the joined text would be valid.
  CHECK_FALSE(compile_ok("{{a}}{{b}}").render({{"a", "\xC3"}, {"b", "\xA9"}}, "x", "1").ok());
  // Missing variables and bad values are reported together.
  r = t.render({{"city", "\xFF"}}, "a", "1");
  REQUIRE_FALSE(r.ok());
  CHECK(r.missing == std::vector<std::string>{"name"});
  CHECK(*r.error ==
        "no value and no fallback for {{name}}; the value of {{city}} is not valid UTF-8 (invalid byte at byte offset 0)");
}

TEST_CASE("template: literal braces") {
  CHECK(render_ok("a } b { c }} d {", {}) == "a } b { c }} d {");
  CHECK(render_ok("{ {{x}} }", {{"x", "1"}}) == "{ 1 }");
  CHECK(render_ok("{{x}}}", {{"x", "1"}}) == "1}");
  CHECK(render_ok("}}{{x}}", {{"x", "1"}}) == "}}1");
  CHECK(render_ok("{", {}) == "{");
  CHECK(render_ok("}", {}) == "}");
}

TEST_CASE("template: compile errors say what and where") {
  check_compile_error("Hi {{name", "message has a \"{{\" at character 4 that is never closed with \"}}\"");
  check_compile_error("{{", "at character 1 that is never closed");
  check_compile_error("Hi {{name}} {{x", "at character 13 that is never closed");
  // Positions count characters, not bytes.
  check_compile_error("\xC3\xA9\xC3\xA9 {{x", "at character 4 that is never closed");
  check_compile_error("Hi {{}}", "message has a tag with an empty variable name at character 4");
  check_compile_error("Hi {{  }}", "empty variable name");
  check_compile_error("Hi {{|x}}", "empty variable name");
  check_compile_error("Hi {{ | x }}", "empty variable name");
  check_compile_error("Hi {{first name}}", "invalid variable name \"first name\" at character 4");
  check_compile_error("{{1abc}}", "invalid variable name \"1abc\"");
  check_compile_error("{{.a}}", "invalid variable name \".a\"");
  check_compile_error("{{-a}}", "invalid variable name \"-a\"");
  check_compile_error("{{a$}}", "invalid variable name \"a$\"");
  check_compile_error("{{caf\xC3\xA9}}", "invalid variable name");
  check_compile_error("{{a\nb}}", "invalid variable name");
  check_compile_error("{{{name}}}", "invalid variable name \"{name\" at character 1");
  check_compile_error("{{a {{b}}", "a \"{{\" inside the tag at character 1 (tags cannot be nested)");
  check_compile_error("{{a|x{{b}}", "tags cannot be nested");
}

TEST_CASE("template: invalid UTF-8 in the template is a compile error with the byte offset") {
  check_compile_error("Hi \xFF", "message is not valid UTF-8 (invalid byte at byte offset 3)");
  check_compile_error("\xC3\xA9 \xC0\x80", "byte offset 3");
  check_compile_error("{{x|\xED\xA0\x80}}", "not valid UTF-8");
  check_compile_error("Hi \xE2\x82", "byte offset 3");
}

TEST_CASE("template: variables() lists names in order of first use without duplicates") {
  auto t = compile_ok("{{b}} {{username}} {{a|x}} {{b}} {{ c }} {{user_id}}");
  CHECK(t.variables() == std::vector<std::string>{"b", "username", "a", "c", "user_id"});
  CHECK(compile_ok("plain").variables().empty());
}

TEST_CASE("template: rendering is repeatable and independent per recipient") {
  auto t = compile_ok("Hi {{name|there}}, {{product}} for @{{username}}");
  for (int i = 0; i < 3; ++i) {
    auto r1 = t.render({{"name", "Ann"}, {"product", "v1"}}, "ann", "1");
    auto r2 = t.render({{"product", "v2"}}, "bob", "2");
    auto r3 = t.render({{"name", "Cy"}}, "cy", "3");
    CHECK(r1.text == "Hi Ann, v1 for @ann");
    CHECK(r1.ok());
    CHECK(r2.text == "Hi there, v2 for @bob");
    CHECK(r2.ok());
    CHECK_FALSE(r3.ok());
    CHECK(r3.missing == std::vector<std::string>{"product"});
  }
}

TEST_CASE("template: control characters other than newline and tab are a compile error with their position") {
  check_compile_error("Hi\x1B[31m {{name}}",
                      "message contains the control character U+001B (ESC) at character 3; only newline and tab are "
                      "allowed");
  check_compile_error(std::string("a\0b", 3), "U+0000 (NUL) at character 2");
  check_compile_error("\xC3\xA9\x07", "U+0007 (BEL) at character 2");
  check_compile_error("{{name|\xC2\x85}}", "U+0085 at character 8");  // a fallback is message text too
  check_compile_error("x\x7F", "U+007F (DEL)");
  check_compile_error("over\rwritten", "U+000D (CR) at character 5");
  CHECK(render_ok("Hi {{name}},\n\tline two\r\nthree", {{"name", "A"}}) == "Hi A,\n\tline two\r\nthree");
}
