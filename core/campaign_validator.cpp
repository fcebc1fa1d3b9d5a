#include "core/campaign_validator.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include "core/utf8.hpp"

namespace outreach {
namespace {

bool is_ascii_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

/// Length of the UTF-8 sequence a lead byte announces (1 for anything that is not a lead byte).
std::size_t sequence_length(unsigned char lead) {
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

void append_hex_escape(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 0xF];
}

/// A variable name as part of a location, spelled as the JSON parser spells it in its own problems.
std::string name_for_location(std::string_view name) {
  const bool plain = !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return is_ascii_alnum(c) || c == '_' || c == '-';
  });
  return plain ? std::string(name) : quote_for_problem(name);
}

/// "(configured: a, b, c)" — names the fix for an unknown account.
std::string configured_list(AccountNames const& configured) {
  if (configured.empty()) return " (no accounts are configured)";
  constexpr std::size_t kShown = 10;
  std::string out = " (configured: ";
  std::size_t shown = 0;
  for (auto const& name : configured) {
    if (shown == kShown) {
      out += ", \u2026";
      break;
    }
    if (shown++ > 0) out += ", ";
    out += name;
  }
  return out + ")";
}

}  // namespace

Result<std::string> normalize_username(std::string_view text) {
  std::string_view name = text;
  if (!name.empty() && name.front() == '@') name.remove_prefix(1);
  const bool ok = !name.empty() && name.size() <= kMaxUsernameLength &&
                  std::all_of(name.begin(), name.end(), [](char c) { return is_ascii_alnum(c) || c == '_'; });
  if (!ok)
    return make_error("username " + quote_for_problem(text) +
                      " must be 1 to 15 letters, digits or underscores (one leading @ is allowed)");
  return std::string(name);
}

Result<std::string> check_user_id(std::string_view text) {
  const bool ok = !text.empty() && text.size() <= kMaxUserIdDigits &&
                  std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!ok) return make_error("user_id " + quote_for_problem(text) + " must be 1 to 20 decimal digits");
  return std::string(text);
}

bool is_valid_campaign_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxCampaignNameLength &&
         std::all_of(name.begin(), name.end(),
                     [](char c) { return is_ascii_alnum(c) || c == '.' || c == '_' || c == '-'; });
}

std::string quote_for_problem(std::string_view text) {
  constexpr std::size_t kMaxShown = 40;
  std::string out = "\"";
  std::size_t shown = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    if (shown == kMaxShown) {
      out += "\u2026";
      break;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t len = sequence_length(c);
    if (c < 0x20 || c == 0x7F) {
      append_hex_escape(out, c);
      i += 1;
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      i += 1;
    } else if (len == 1 && c < 0x80) {
      out += static_cast<char>(c);
      i += 1;
    } else if (i + len <= text.size() && len > 1 && is_valid_utf8(text.substr(i, len))) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      append_hex_escape(out, c);  // a byte that is not part of valid UTF-8
      i += 1;
    }
    ++shown;
  }
  return out + "\"";
}

std::optional<MessageTemplate> validate_header(CampaignHeader const& header, HeaderFields const& fields,
                                               AccountNames const& configured_accounts, ProblemList& problems) {
  if (fields.name == FieldState::absent)
    problems.add("name", "is required (letters, digits, '-', '_' and '.', e.g. \"spring-launch\")");
  else if (fields.name == FieldState::present && !is_valid_campaign_name(header.name))
    problems.add("name", quote_for_problem(header.name) + " must be 1 to 128 letters, digits, '-', '_' or '.'");

  if (fields.accounts == FieldState::absent) {
    problems.add("accounts", "is required: list the accounts to send from, e.g. [\"sales-1\"]");
  } else if (fields.accounts == FieldState::present) {
    if (header.accounts.empty()) problems.add("accounts", "must list at least one account");
    std::set<std::string_view> seen;
    for (std::size_t i = 0; i < header.accounts.size(); ++i) {
      auto const& account = header.accounts[i];
      const std::string location = "accounts[" + std::to_string(i) + "]";
      if (!seen.insert(account).second)
        problems.add(location, "account " + quote_for_problem(account) + " is listed more than once");
      else if (!configured_accounts.contains(account))
        problems.add(location, "account " + quote_for_problem(account) + " is not configured" +
                                   configured_list(configured_accounts));
    }
  }

  std::optional<MessageTemplate> message;
  if (fields.message == FieldState::absent) {
    problems.add("message", "is required");
  } else if (fields.message == FieldState::present) {
    if (header.message.empty()) {
      problems.add("message", "is empty");
    } else if (auto compiled = MessageTemplate::compile(header.message)) {
      message = std::move(*compiled);
    } else {
      problems.add("message", compiled.error().message);
    }
  }

  if (fields.recipients == FieldState::absent && fields.recipients_csv == FieldState::absent)
    problems.add("recipients", "the campaign needs \"recipients\", \"recipients_csv\" or both");
  if (fields.recipients_csv == FieldState::present && header.recipients_csv && header.recipients_csv->empty())
    problems.add("recipients_csv", "is empty; give a CSV file name relative to the campaign file");
  return message;
}

std::string RecipientLocation::to_string() const {
  if (csv_file.empty()) return "recipients[" + std::to_string(position) + "]";
  return std::string(csv_file) + " line " + std::to_string(position);
}

std::optional<ValidRecipient> validate_recipient(MessageTemplate const& message, Recipient&& recipient,
                                                 RecipientLocation const& where, ProblemList& problems) {
  if (recipient.username.empty() && recipient.user_id.empty()) {
    problems.add(where.to_string(), "needs a username or a user_id");
    return std::nullopt;
  }
  // Every variable, not only those this message uses (README.md#campaign-files: variables may
  // not contain control characters); one rule for JSON vars and CSV columns alike.
  bool controls = false;
  for (auto const& [name, value] : recipient.vars) {
    auto const control = find_control_character(value);
    if (!control) continue;
    controls = true;
    const std::string what =
        "the control character " + describe_control_character(*control) + "; only newline and tab are allowed";
    if (where.csv_file.empty())
      problems.add(where.to_string() + ".vars." + name_for_location(name), "contains " + what);
    else
      problems.add(where.to_string(), "the " + quote_for_problem(name) + " cell contains " + what);
  }
  auto rendered = message.render(recipient.vars, recipient.username, recipient.user_id);
  if (!rendered.ok()) {
    problems.add(where.to_string(), std::move(*rendered.error));
    return std::nullopt;
  }
  if (controls) return std::nullopt;
  return ValidRecipient{std::move(recipient.username), std::move(recipient.user_id), std::move(rendered.text)};
}

}  // namespace outreach
