// core/campaign_json (the streaming SAX parser of campaign files) and core/campaign_reader.
// Invariants:
// - fed whole, in arbitrary chunks or byte by byte: the same problems, recipients and header;
// - a JSON syntax error is reported exactly when Boost.JSON's DOM parser rejects the text (after
//   a BOM), once, at "line L column C" within the text (or at "file" for an empty file);
// - every problem has a message and a location of the documented shapes; recipients are handed
//   out with consecutive indices, and one marked ok has a valid username or user_id;
// - a file without problems round-trips: its header and recipients, written back as JSON, parse
//   to the same values with no problems;
// - read_campaign's report locates every problem, and a campaign without problems delivers every
//   recipient to the sink rendered (valid UTF-8, 1..10,000 code points).
#include <boost/json.hpp>

#include <algorithm>

#include "common.hpp"
#include "core/campaign_json.hpp"
#include "core/campaign_reader.hpp"
#include "core/iso_time.hpp"
#include "core/utf8.hpp"

using namespace outreach;
namespace json = boost::json;

namespace {

struct Parsed {
  std::vector<std::tuple<std::string, std::string, int>> problems;  // location, message, scope
  std::vector<std::tuple<std::size_t, std::string, std::string, Vars, bool>> recipients;
  CampaignHeader header;
  std::size_t seen = 0;
  bool syntax_error = false;

  bool operator==(Parsed const& o) const {
    return problems == o.problems && recipients == o.recipients && seen == o.seen && syntax_error == o.syntax_error &&
           header.name == o.header.name && header.accounts == o.header.accounts && header.message == o.header.message &&
           header.recipients_csv == o.header.recipients_csv && header.priority == o.header.priority &&
           header.start_at == o.header.start_at && header.dry_run == o.header.dry_run;
  }
};

template <class Feed>
Parsed parse(Feed feed, bool with_recipients = true) {
  Parsed out;
  CampaignJsonEvents events;
  events.on_problem = [&](Problem&& p, ProblemScope scope) {
    out.problems.emplace_back(std::move(p.location), std::move(p.message), static_cast<int>(scope));
  };
  if (with_recipients) {
    events.on_recipient = [&](std::size_t index, Recipient&& r, bool ok) {
      out.recipients.emplace_back(index, std::move(r.username), std::move(r.user_id), std::move(r.vars), ok);
    };
  }
  CampaignJsonParser parser(std::move(events));
  feed(parser);
  parser.finish();
  out.header = parser.header();
  out.seen = parser.recipients_seen();
  out.syntax_error = parser.syntax_error();
  return out;
}

bool digits_only(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// The documented location shapes (see core/campaign_json.hpp).
bool valid_location(std::string_view loc) {
  if (loc.empty()) return false;
  if (loc == "file") return true;
  std::size_t n = 0;
  if (fuzz::starts_with(loc, "line ")) return fuzz::number_after(loc, "line ", n) && fuzz::contains(loc, " column ");
  for (std::string_view array : {"accounts[", "recipients["}) {
    if (!fuzz::starts_with(loc, array)) continue;
    const auto close = loc.find(']');
    return close != std::string_view::npos && digits_only(loc.substr(array.size(), close - array.size()));
  }
  return true;  // a top-level key, plain or quoted
}

/// The campaign written back as JSON; empty when a value has no spelling the parser reads back
/// (a start_at whose UTC year falls outside 0000..9999 after its offset is applied).
std::string serialize_campaign(Parsed const& p) {
  json::object o;
  o["name"] = p.header.name;
  json::array accounts;
  for (auto const& a : p.header.accounts) accounts.emplace_back(a);
  o["accounts"] = std::move(accounts);
  o["message"] = p.header.message;
  if (p.header.recipients_csv) o["recipients_csv"] = *p.header.recipients_csv;
  o["priority"] = p.header.priority;
  o["dry_run"] = p.header.dry_run;
  if (p.header.start_at) {
    // Millisecond precision survives through the fraction.
    const auto ms = p.header.start_at->time_since_epoch().count();
    const auto whole = std::chrono::floor<std::chrono::seconds>(*p.header.start_at);
    const std::string base = format_iso8601(TimePoint{std::chrono::duration_cast<Duration>(whole.time_since_epoch())});
    if (base.size() != 20) return {};
    const long long frac = ms - std::chrono::duration_cast<Duration>(whole.time_since_epoch()).count();
    std::string f = std::to_string(frac);
    while (f.size() < 3) f.insert(0, "0");
    o["start_at"] = base.substr(0, 19) + "." + f + "Z";
  }
  json::array recipients;
  for (auto const& [index, username, user_id, vars, ok] : p.recipients) {
    json::object r;
    if (!username.empty()) r["username"] = username;
    if (!user_id.empty()) r["user_id"] = user_id;
    if (!vars.empty()) {
      json::object v;
      for (auto const& [name, value] : vars) v[name] = value;
      r["vars"] = std::move(v);
    }
    recipients.emplace_back(std::move(r));
  }
  o["recipients"] = std::move(recipients);
  return json::serialize(o);
}

void check_read_campaign(std::string_view text) {
  CampaignSources sources;
  sources.open_json = [text] {
    return ByteSource([text, at = std::size_t{0}](char* buffer, std::size_t capacity) mutable -> std::size_t {
      const std::size_t n = std::min({capacity, text.size() - at, std::size_t{1000}});
      std::copy_n(text.data() + at, n, buffer);
      at += n;
      return n;
    });
  };
  const std::string csv = "username,name\n@carol,Carol\n44196397,x\n";
  sources.open_csv = [&csv](std::string const& path) -> Result<ByteSource> {
    if (path != "r.csv") return make_error("recipients_csv " + path + " does not exist");
    return ByteSource([&csv, done = false](char* buffer, std::size_t capacity) mutable -> std::size_t {
      if (done) return 0;
      done = true;
      const std::size_t n = std::min(capacity, csv.size());
      std::copy_n(csv.data(), n, buffer);
      return n;
    });
  };
  std::size_t sunk = 0;
  const CampaignReport report = read_campaign(sources, AccountNames{"sales-1", "sales-2"}, [&](ValidRecipient&& r) {
    ++sunk;
    FUZZ_CHECK(is_valid_utf8(r.text), fuzz::show(r.text));
    const std::size_t cps = count_code_points(r.text);
    FUZZ_CHECK(cps >= 1 && cps <= kMaxMessageCodePoints, std::to_string(cps));
    FUZZ_CHECK(!r.username.empty() || !r.user_id.empty(), "");
  });
  for (Problem const& p : report.problems.kept()) {
    FUZZ_CHECK(!p.location.empty() && !p.message.empty(), p.location + ": " + p.message);
  }
  FUZZ_CHECK(report.problems.total() >= report.problems.kept().size(), "");
  if (report.problems.empty()) FUZZ_CHECK(sunk == report.recipients && sunk > 0, "a valid campaign lost recipients");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  const Parsed whole = parse([&](CampaignJsonParser& p) { p.feed(text); });
  const Parsed pieces = parse([&](CampaignJsonParser& p) {
    for (std::string_view c : fuzz::chunks(text, 2)) p.feed(c);
  });
  FUZZ_CHECK(whole == pieces, "chunked parsing differs from whole parsing");
  if (size <= 1024) {
    const Parsed bytes = parse([&](CampaignJsonParser& p) {
      for (std::size_t i = 0; i < text.size(); ++i) p.feed(text.substr(i, 1));
    });
    FUZZ_CHECK(whole == bytes, "byte-by-byte parsing differs from whole parsing");
  }
  // A header-only pass reports the same document/header problems and counts the same recipients.
  const Parsed header_only = parse([&](CampaignJsonParser& p) { p.feed(text); }, /*with_recipients=*/false);
  FUZZ_CHECK(header_only.seen == whole.seen, "");
  {
    auto non_recipient = [](Parsed const& p) {
      std::vector<std::tuple<std::string, std::string, int>> out;
      for (auto const& t : p.problems)
        if (std::get<2>(t) != static_cast<int>(ProblemScope::recipient)) out.push_back(t);
      return out;
    };
    FUZZ_CHECK(non_recipient(header_only) == non_recipient(whole), "the header-only pass reports other header problems");
  }

  // Syntax errors agree with Boost.JSON's own DOM parser.
  std::string_view body = text;
  if (fuzz::starts_with(body, "\xEF\xBB\xBF")) body.remove_prefix(3);
  boost::system::error_code ec;
  (void)json::parse(body, ec);
  FUZZ_CHECK(whole.syntax_error == static_cast<bool>(ec),
             std::string("syntax_error() is ") + (whole.syntax_error ? "true" : "false") + " but json::parse says " +
                 ec.message());
  std::size_t document_problems = 0;
  const std::size_t last_line = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  for (auto const& [location, message, scope] : whole.problems) {
    FUZZ_CHECK(!message.empty(), "no message at " + location);
    FUZZ_CHECK(valid_location(location), "location " + fuzz::show(location));
    if (scope == static_cast<int>(ProblemScope::document)) {
      ++document_problems;
      std::size_t line = 0;
      if (location != "file") {
        FUZZ_CHECK(fuzz::number_after(location, "line ", line) && line >= 1 && line <= last_line, fuzz::show(location));
      }
    }
  }
  FUZZ_CHECK(document_problems == (whole.syntax_error ? 1u : 0u),
             std::to_string(document_problems) + " document problems, syntax_error " + std::to_string(whole.syntax_error));

  for (std::size_t i = 0; i < whole.recipients.size(); ++i) {
    auto const& [index, username, user_id, vars, ok] = whole.recipients[i];
    FUZZ_CHECK(index == i, "recipient index " + std::to_string(index) + " at position " + std::to_string(i));
    if (!ok) continue;
    FUZZ_CHECK(!username.empty() || !user_id.empty(), "an ok recipient without identity");
    if (!username.empty()) FUZZ_CHECK(normalize_username(username).has_value() && username[0] != '@', username);
    if (!user_id.empty()) FUZZ_CHECK(check_user_id(user_id).has_value(), user_id);
    for (std::size_t a = 0; a < vars.size(); ++a)
      for (std::size_t b = a + 1; b < vars.size(); ++b) FUZZ_CHECK(vars[a].first != vars[b].first, "duplicate var");
  }
  FUZZ_CHECK(whole.seen >= whole.recipients.size(), "");

  // Round trip of a clean file.
  const bool all_ok = std::all_of(whole.recipients.begin(), whole.recipients.end(), [](auto const& r) { return std::get<4>(r); });
  if (whole.problems.empty() && all_ok && !whole.syntax_error) {
    const std::string again_text = serialize_campaign(whole);
    if (!again_text.empty()) {
      const Parsed again = parse([&](CampaignJsonParser& p) { p.feed(again_text); });
      FUZZ_CHECK(again.problems.empty(), "the round trip has problems: " + std::get<0>(again.problems[0]) + ": " +
                                             std::get<1>(again.problems[0]) + " in " + again_text);
      FUZZ_CHECK(again.recipients == whole.recipients, "recipients changed on a round trip: " + again_text);
      Parsed w = whole, a = again;
      w.problems.clear();
      a.problems.clear();
      w.recipients.clear();
      a.recipients.clear();
      FUZZ_CHECK(w == a, "the header changed on a round trip: " + again_text);
    }
  }

  check_read_campaign(text);
  return 0;
}
