#include "core/template.hpp"

#include <algorithm>
#include <utility>

namespace outreach {

namespace {

constexpr std::string_view kOpen = "{{";
constexpr std::string_view kClose = "}}";

std::string_view trim_blanks(std::string_view s) {
  auto const first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  auto const last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

bool is_name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9') || c == '.' || c == '-'; }

bool is_valid_name(std::string_view name) {
  if (name.empty() || !is_name_start(name.front())) return false;
  return std::all_of(name.begin() + 1, name.end(), is_name_char);
}

/// 1-based character position of byte `offset` in valid UTF-8 `text` (what an editor shows).
std::size_t char_position(std::string_view text, std::size_t offset) {
  return count_code_points(text.substr(0, offset)) + 1;
}

bool contains(std::vector<std::string> const& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

Result<MessageTemplate> MessageTemplate::compile(std::string_view text) {
  if (auto const bad = find_invalid_utf8(text)) {
    return make_error("message is not valid UTF-8 (invalid byte at byte offset " + std::to_string(*bad) + ")");
  }
  // Control characters reach the recipient's screen (or a terminal showing the log) as they are.
  if (auto const control = find_control_character(text)) {
    return make_error("message contains the control character " + describe_control_character(*control) +
                      "; only newline and tab are allowed");
  }
  MessageTemplate t;
  std::string literal;
  auto flush_literal = [&] {
    if (literal.empty()) return;
    Piece p;
    p.code_points = count_code_points(literal);
    t.literal_bytes_ += literal.size();
    p.literal = std::move(literal);
    literal.clear();
    t.pieces_.push_back(std::move(p));
  };

  std::size_t i = 0;
  while (i < text.size()) {
    auto const open = text.find(kOpen, i);
    if (open == std::string_view::npos) {
      literal.append(text.substr(i));
      break;
    }
    literal.append(text.substr(i, open - i));
    auto const at = " at character " + std::to_string(char_position(text, open));
    auto const close = text.find(kClose, open + kOpen.size());
    if (close == std::string_view::npos) {
      return make_error("message has a \"{{\"" + at + " that is never closed with \"}}\"");
    }
    auto const inner = text.substr(open + kOpen.size(), close - open - kOpen.size());
    if (inner.find(kOpen) != std::string_view::npos) {
      return make_error("message has a \"{{\" inside the tag" + at + " (tags cannot be nested)");
    }
    auto const bar = inner.find('|');
    auto const name = trim_blanks(inner.substr(0, bar));
    if (name.empty()) {
      return make_error("message has a tag with an empty variable name" + at);
    }
    if (!is_valid_name(name)) {
      return make_error("message has an invalid variable name \"" + std::string(name) + "\"" + at +
                        " (a name starts with a letter or '_' and continues with letters, digits, '_', '.' or '-')");
    }
    flush_literal();
    Piece p;
    p.name = std::string(name);
    if (name == "username") p.builtin = Piece::Builtin::username;
    if (name == "user_id") p.builtin = Piece::Builtin::user_id;
    if (bar != std::string_view::npos) {
      p.has_fallback = true;
      p.literal = std::string(trim_blanks(inner.substr(bar + 1)));
      p.code_points = count_code_points(p.literal);
    }
    t.pieces_.push_back(std::move(p));
    i = close + kClose.size();
  }
  flush_literal();
  return t;
}

MessageTemplate::Rendered MessageTemplate::render(Vars const& vars, std::string_view username,
                                                  std::string_view user_id) const {
  Rendered out;
  out.text.reserve(literal_bytes_ + 64);
  std::size_t code_points = 0;
  std::vector<std::string> invalid;  // "{{name}} ... offset" sentences; allocated only on error

  for (auto const& piece : pieces_) {
    if (piece.name.empty()) {
      out.text += piece.literal;
      code_points += piece.code_points;
      continue;
    }
    std::string_view value;
    for (auto const& [key, v] : vars) {
      if (key == piece.name) {
        value = v;
        break;
      }
    }
    if (value.empty()) {
      if (piece.builtin == Piece::Builtin::username) value = username;
      if (piece.builtin == Piece::Builtin::user_id) value = user_id;
    }
    if (!value.empty()) {
      auto const scan = scan_utf8(value);
      if (scan.valid) {
        out.text += value;
        code_points += scan.code_points;
      } else {
        auto sentence = "the value of {{" + piece.name + "}} is not valid UTF-8 (invalid byte at byte offset " +
                        std::to_string(scan.error_offset) + ")";
        if (!contains(invalid, sentence)) invalid.push_back(std::move(sentence));
      }
    } else if (piece.has_fallback) {
      out.text += piece.literal;
      code_points += piece.code_points;
    } else if (!contains(out.missing, piece.name)) {
      out.missing.push_back(piece.name);
    }
  }

  std::vector<std::string> sentences;
  if (!out.missing.empty()) {
    std::string s = "no value and no fallback for ";
    for (std::size_t k = 0; k < out.missing.size(); ++k) {
      if (k > 0) s += ", ";
      s += "{{" + out.missing[k] + "}}";
    }
    sentences.push_back(std::move(s));
  }
  for (auto& s : invalid) sentences.push_back(std::move(s));
  if (sentences.empty()) {
    if (code_points == 0) {
      sentences.emplace_back("the rendered message is empty");
    } else if (code_points > kMaxMessageCodePoints) {
      sentences.push_back("the rendered message is " + std::to_string(code_points) +
                          " characters long, above the limit of " + std::to_string(kMaxMessageCodePoints));
    }
  }
  if (!sentences.empty()) {
    std::string error;
    for (auto const& s : sentences) {
      if (!error.empty()) error += "; ";
      error += s;
    }
    out.error = std::move(error);
  }
  return out;
}

std::vector<std::string> MessageTemplate::variables() const {
  std::vector<std::string> names;
  for (auto const& piece : pieces_) {
    if (!piece.name.empty() && !contains(names, piece.name)) names.push_back(piece.name);
  }
  return names;
}

}  // namespace outreach
