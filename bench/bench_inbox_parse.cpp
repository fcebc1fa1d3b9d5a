// bench_inbox_parse: the cost of reading one inbox page (docs/providers.md#reading-the-inbox) with
// the project's codecs, beside Boost.JSON's plain parse of the same bytes, for the two providers
// that read an inbox:
//   getxapi  POST /twitter/dm/list   ProviderCodec::parse_inbox (core/providers/getxapi_codec.cpp)
//   x_api    GET  /2/dm_events       ProviderCodec::parse_inbox (core/providers/x_api_codec.cpp)
// Each page holds 100 one-to-one messages of one account, newest first, in both directions, shaped
// as the simulator answers (daemon/sim/simulator_getxapi.cpp, simulator_x_api.cpp): 19-digit
// snowflake message ids, ISO times with milliseconds, 19-digit (and a few old, shorter) user ids,
// texts of 40-200 characters with links, quotes, line breaks and some non-ASCII, and a next cursor.
// Before any timing, each page is parsed once and every message checked against what was written.
//
// Method: in-process, one thread. Per provider, a warm-up of each side, then R rounds; a round
// times the codec and the plain parse for the same slice each, in alternating order (the machine
// is shared and noisy), and each side's figure is the median of its rounds. Every parse's result
// (message count, a text size, an object size) goes into a volatile sink so nothing is optimised
// away. Not a pass/fail test: it prints rates and the codec / plain ratio.
//
//   bench_inbox_parse [--quick] [--rounds N] [--ms N]
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/http.hpp"
#include "core/providers/codec.hpp"
#include "core/providers/inbox.hpp"
#include "core/secret.hpp"
#include "core/time.hpp"

using namespace outreach;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

// ---------------------------------------------------------------- options

struct Options {
  bool quick = false;
  int rounds = 5;
  int slice_ms = 800;  ///< length of one timed run of one side
};

void usage(std::FILE* to) {
  std::fprintf(to,
               "usage: bench_inbox_parse [--quick] [--rounds N] [--ms N]\n"
               "  --quick       a short run (~2 s): 3 rounds of 120 ms per side instead of 5 of 800 ms (~18 s)\n"
               "  --rounds N    rounds per provider; each times the codec and the plain parse once, alternating\n"
               "                which goes first (default 5; quick 3). Each side's figure is its median round.\n"
               "  --ms N        length of one side's timed run in a round, milliseconds (default 800; quick 120)\n"
               "Parses one inbox page of 100 messages per provider (getxapi dm/list, x_api dm_events) with the\n"
               "codec's parse_inbox and with boost::json::parse alone, and prints both rates and their ratio.\n");
}

[[noreturn]] void bad_usage() {
  usage(stderr);
  std::exit(2);
}

int positive(char const* option, char const* text, int at_most) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (v <= 0 || end == text || *end != '\0') {
    std::fprintf(stderr, "bench_inbox_parse: %s needs a positive number\n", option);
    std::exit(2);
  }
  return static_cast<int>(std::min<long>(v, at_most));
}

Options parse_options(int argc, char** argv) {
  Options o;
  int rounds = 0, slice_ms = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--quick") {
      o.quick = true;
    } else if (a == "--rounds" && i + 1 < argc) {
      rounds = positive("--rounds", argv[++i], 1000);
    } else if (a == "--ms" && i + 1 < argc) {
      slice_ms = positive("--ms", argv[++i], 600'000);
    } else if (a == "--help" || a == "-h") {
      usage(stdout);
      std::exit(0);
    } else {
      bad_usage();
    }
  }
  if (o.quick) {
    o.rounds = 3;
    o.slice_ms = 120;
  }
  if (rounds) o.rounds = rounds;
  if (slice_ms) o.slice_ms = slice_ms;
  return o;
}

// ---------------------------------------------------------------- the pages

constexpr int kMessages = 100;
constexpr char const* kOwnId = "1858475867762270208";
constexpr std::int64_t kTwitterEpochMs = 1288834974657;  // snowflake ids count from here

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t x = (state += 0x9e3779b97f4a7c15ULL);
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// The account's correspondents: mostly snowflake-era ids, a few accounts from before 2013 with
/// shorter ids (the conversation id puts the numerically smaller first, so these come first).
struct Contact {
  char const* id;
  char const* username;
};
constexpr Contact kContacts[] = {
    {"1234567890123456789", "maria_dev"},      {"1502947318852096001", "jkowalski"},
    {"1620193847561239552", "the_real_tom"},   {"1399817265001472007", "annab_design"},
    {"1744031985567281153", "kenji_builds"},   {"1081736457384996864", "lea_muller"},
    {"1675320019857694720", "sofia_ops"},      {"1287645509987315713", "dkim_vc"},
    {"2244994945", "old_guard_dev"},           {"14159265", "pi_person"},
    {"1803456781234567890", "camille_rs"},     {"1598765432109876543", "ahmed_growth"},
};

/// What the account sends (its campaigns' rendered messages; %s is the username).
constexpr char const* kOutgoing[] = {
    "Hi @%s, we just shipped our new app. Want an early look? https://t.co/8xKq2LmZ1v",
    "Hey %s! Thanks for the follow \xF0\x9F\x99\x8C We're opening the beta to 50 more teams this week \xE2\x80\x94 "
    "interested?",
    "Hi %s, following up on my last message: the invite link is still valid until Friday. https://t.co/Qm3vT9pLx0",
    "%s, quick one: would a 15-minute call next week work? Here's my calendar: https://cal.com/outreach-team/15min",
    "Thanks %s! Here is the pricing page you asked for: https://t.co/Zp0aK7sWq3 \xE2\x80\x94 the team plan is per "
    "seat, billed monthly, and you can cancel any time.",
};

/// What people answer.
constexpr char const* kIncoming[] = {
    "Sure, send it over! What does it cost for a team of five?",
    "Not interested, please stop messaging me.",
    "Looks great. I tried the beta yesterday but the sign-up page at https://t.co/Zr8wPq1mNa gave me a 500 error.",
    "Danke! Ich schaue es mir am Wochenende an und melde mich dann bei dir. Gr\xC3\xBC\xC3\x9F" "e aus M\xC3\xBCnchen",
    "Merci pour le message\xC2\xA0! Est-ce que l\xE2\x80\x99" "app fonctionne aussi sur Android\xC2\xA0? Je n\xE2\x80\x99"
    "ai qu\xE2\x80\x99un Pixel.",
    "Can you share pricing? We're ~40 people, mostly remote, and already pay for two tools that do half of this "
    "\xF0\x9F\x98\x85",
    "Please remove me from your list, I never signed up for this. STOP",
    "Hi!\nTwo questions:\n1) is there an API?\n2) do you support SSO (Okta)?\nThanks",
    "Our CTO said \"only if it self-hosts\". Does it? A docs link would help: https://docs.example.com/self-hosting",
    "Thanks for reaching out. We evaluated a few options last quarter and went with another vendor, but I'd be "
    "happy to chat again in Q3 when our contract is up for renewal. Ping me in June?",
    "ok",  // too short on its own: extended below, as people write a second line
};

std::size_t code_points(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string iso_time_ms(TimePoint t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> tod{t - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(tod.hours().count()), static_cast<int>(tod.minutes().count()),
                static_cast<int>(tod.seconds().count()), static_cast<int>(tod.subseconds().count()));
  return buf;
}

bool numerically_less(std::string const& a, std::string const& b) {
  return a.size() < b.size() || (a.size() == b.size() && a < b);
}

/// One message as written into both pages; also what parse_inbox must give back.
struct Written {
  std::string id;
  TimePoint created_at;
  std::string sender_id, recipient_id, text;
};

const TimePoint kNewest{std::chrono::sys_days{std::chrono::year{2026} / 2 / 5} + std::chrono::hours(13)};

std::vector<Written> write_messages() {
  std::uint64_t rng = 20260205;
  std::vector<Written> out;
  TimePoint t = kNewest;
  std::uint64_t sequence = 0;
  for (int i = 0; i < kMessages; ++i) {
    // Newest first: each message 20 s to ~4 h before the one above it, at a random millisecond.
    t -= Duration(20'000 + static_cast<std::int64_t>(splitmix64(rng) % 14'400'000));
    const std::int64_t ms = t.time_since_epoch().count();
    const std::uint64_t snowflake = (static_cast<std::uint64_t>(ms - kTwitterEpochMs) << 22) |
                                    ((splitmix64(rng) % 1024) << 12) | (sequence++ % 4096);
    const Contact& c = kContacts[splitmix64(rng) % std::size(kContacts)];
    const bool outgoing = splitmix64(rng) % 100 < 45;
    std::string text;
    if (outgoing) {
      char buf[256];
      std::snprintf(buf, sizeof buf, kOutgoing[splitmix64(rng) % std::size(kOutgoing)], c.username);
      text = buf;
    } else {
      text = kIncoming[splitmix64(rng) % std::size(kIncoming)];
      if (code_points(text) < 40) text += "\nlet me check with my cofounder first and get back to you";
    }
    out.push_back(Written{std::to_string(snowflake), t, outgoing ? kOwnId : c.id, outgoing ? c.id : kOwnId,
                          std::move(text)});
  }
  return out;
}

/// GetXAPI's dm/list answer (docs/providers.md#getxapi-inbox), keys in the simulator's order.
std::string getxapi_body(std::vector<Written> const& messages, std::string const& cursor) {
  json::array list;
  for (auto const& m : messages)
    list.push_back(json::object{{"id", m.id},
                                {"createdAt", iso_time_ms(m.created_at)},
                                {"senderId", m.sender_id},
                                {"recipientId", m.recipient_id},
                                {"text", m.text},
                                {"media", nullptr}});
  return json::serialize(json::object{{"userId", kOwnId},
                                      {"message_count", messages.size()},
                                      {"has_more", true},
                                      {"next_cursor", cursor},
                                      {"messages", std::move(list)}});
}

/// X's dm_events answer with the fields the codec asks for (docs/providers.md#x_api-inbox).
std::string x_api_body(std::vector<Written> const& messages, std::string const& next_token) {
  json::array data;
  for (auto const& m : messages) {
    const bool sender_first = numerically_less(m.sender_id, m.recipient_id);
    const std::string conversation =
        sender_first ? m.sender_id + "-" + m.recipient_id : m.recipient_id + "-" + m.sender_id;
    data.push_back(json::object{{"id", m.id},
                                {"event_type", "MessageCreate"},
                                {"text", m.text},
                                {"sender_id", m.sender_id},
                                {"created_at", iso_time_ms(m.created_at)},
                                {"dm_conversation_id", conversation},
                                {"participant_ids", json::array{json::value(m.sender_id), json::value(m.recipient_id)}}});
  }
  return json::serialize(json::object{
      {"data", std::move(data)}, {"meta", json::object{{"result_count", messages.size()}, {"next_token", next_token}}}});
}

// ---------------------------------------------------------------- the two sides

volatile std::size_t g_sink = 0;

struct Case {
  char const* provider;
  char const* endpoint;
  std::unique_ptr<ProviderCodec> codec;
  HttpResponse response;
  std::string expected_cursor;
};

// Credentials of realistic sizes: the codec builds a redactor of them for every page.
ProviderCredentials provider_credentials() {
  return ProviderCredentials{Secret("gx_live_3f9a7c21d84e4b0e9a6f1c2d5e8b7a40"), "Q2xpZW50SWQtb3V0cmVhY2hk",
                             Secret("cs_8c1f0e7a92b34d56a7e8f9012b3c4d5e6f708192a3b4c5d6")};
}
AccountCredentials account_credentials() {
  return AccountCredentials{Secret("a3f1c9e27b4d8056f2e1d0c9b8a7f6e5d4c3b2a1"),
                            Secret("http://puser7:Pr0xyPassw0rd@203.0.113.42:8080"), kOwnId,
                            Secret("bWVkaWEtYWNjZXNzLXRva2VuLWZvci1vdXRyZWFjaGQtYmVuY2gtMTg1ODQ3NTg2Nzc2MjI3MDIwODoxNzcwMjk2NDAw"
                                   "OjE6MDphdDox"),
                            Secret("cmVmcmVzaC10b2tlbi1mb3Itb3V0cmVhY2hkLWJlbmNoLTE4NTg0NzU4Njc3NjIyNzAyMDg6MTc3MDI5NjQwMDox"
                                   "OjA6cnQ6MQ")};
}
const ProviderCredentials kProvider = provider_credentials();
const AccountCredentials kAccount = account_credentials();
const TimePoint kNow = kNewest + std::chrono::minutes(3);

std::size_t codec_once(Case const& c) {
  const InboxPage page = c.codec->parse_inbox(c.response, kProvider, kAccount, kOwnId, kNow);
  return page.messages.size() + (page.messages.empty() ? 0 : page.messages.back().text.size());
}

std::size_t plain_once(Case const& c) {
  boost::system::error_code ec;
  const json::value v = json::parse(c.response.body, ec);
  return ec ? 0 : v.get_object().size() + 1;
}

[[noreturn]] void fail(std::string const& what) {
  std::fflush(stdout);
  std::fprintf(stderr, "bench_inbox_parse: %s\n", what.c_str());
  std::exit(1);
}

/// Parses the page once each way and checks the codec read back every message as written.
void check(Case const& c, std::vector<Written> const& written) {
  boost::system::error_code ec;
  const json::value v = json::parse(c.response.body, ec);
  if (ec || !v.is_object()) fail(std::string(c.provider) + ": boost::json::parse failed on the page: " + ec.message());
  const InboxPage page = c.codec->parse_inbox(c.response, kProvider, kAccount, kOwnId, kNow);
  if (page.result.signal != ProviderSignal::success)
    fail(std::string(c.provider) + ": parse_inbox did not succeed (signal " +
         std::to_string(static_cast<int>(page.result.signal)) + "): " + page.result.message);
  if (page.messages.size() != written.size())
    fail(std::string(c.provider) + ": parse_inbox read " + std::to_string(page.messages.size()) + " messages, not " +
         std::to_string(written.size()));
  if (page.next_cursor != c.expected_cursor) fail(std::string(c.provider) + ": parse_inbox lost the next cursor");
  for (std::size_t i = 0; i < written.size(); ++i) {
    InboxMessage const& got = page.messages[i];
    Written const& want = written[i];
    if (got.id != want.id || got.created_at != want.created_at || got.sender_id != want.sender_id ||
        got.recipient_id != want.recipient_id || got.text != want.text)
      fail(std::string(c.provider) + ": parse_inbox read message " + std::to_string(i + 1) + " (id " + want.id +
           ") differently from what was written");
  }
}

struct Run {
  std::uint64_t pages = 0;
  double seconds = 0;
  double rate() const { return seconds > 0 ? static_cast<double>(pages) / seconds : 0; }
};

/// Repeats `once` for about `ms` milliseconds, reading the clock every 8 pages.
template <class F>
Run run_for(F const& once, Case const& c, int ms) {
  constexpr int kBatch = 8;
  Run run;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::milliseconds(ms);
  auto now = start;
  do {
    std::size_t sum = 0;
    for (int i = 0; i < kBatch; ++i) sum += once(c);
    g_sink = g_sink + sum;
    run.pages += kBatch;
    now = Clock::now();
  } while (now < deadline);
  run.seconds = std::chrono::duration<double>(now - start).count();
  return run;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n == 0 ? 0 : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct Measured {
  std::vector<double> codec, plain, ratio;  ///< pages/s per round; plain/codec per round
};

Measured measure(Case const& c, Options const& o) {
  const int warm_ms = std::max(20, o.slice_ms / 4);
  run_for(codec_once, c, warm_ms);
  run_for(plain_once, c, warm_ms);
  Measured m;
  for (int r = 0; r < o.rounds; ++r) {
    Run codec, plain;
    if (r % 2 == 0) {
      codec = run_for(codec_once, c, o.slice_ms);
      plain = run_for(plain_once, c, o.slice_ms);
    } else {
      plain = run_for(plain_once, c, o.slice_ms);
      codec = run_for(codec_once, c, o.slice_ms);
    }
    m.codec.push_back(codec.rate());
    m.plain.push_back(plain.rate());
    m.ratio.push_back(plain.rate() / codec.rate());
  }
  return m;
}

std::string load_average() {
  std::string line;
  std::getline(std::ifstream("/proc/loadavg"), line);
  const auto third = line.find(' ', line.find(' ', line.find(' ') + 1) + 1);
  return third == std::string::npos ? "unknown" : line.substr(0, third);
}

void print_side(char const* provider, char const* parser, std::vector<double> const& rates, std::size_t bytes) {
  const double rate = median(rates);
  std::printf("  %-8s %-30s %10.0f %9.1f %11.0f   %8.0f - %.0f\n", provider, parser, rate,
              rate * static_cast<double>(bytes) / 1e6, rate * kMessages,
              *std::min_element(rates.begin(), rates.end()), *std::max_element(rates.begin(), rates.end()));
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_options(argc, argv);
  const auto start = Clock::now();
  const std::vector<Written> written = write_messages();
  for (auto const& m : written)
    if (code_points(m.text) < 40 || code_points(m.text) > 200)
      fail("a generated text has " + std::to_string(code_points(m.text)) + " characters, not 40-200: " + m.text);

  std::vector<Case> cases;
  {
    Case g{"getxapi", "POST /twitter/dm/list", make_codec(ProviderKind::getxapi), {}, {}};
    g.expected_cursor = "DAABCgABGH3sJ2O__-sKAAIYfew4xFrAAQgAAwAAAAIAAA";
    g.response = HttpResponse{200,
                              {{"Date", "Thu, 05 Feb 2026 13:03:00 GMT"},
                               {"Content-Type", "application/json"},
                               {"Connection", "keep-alive"},
                               {"Server", "cloudflare"},
                               {"CF-RAY", "9c1a2b3c4d5e6f70-FRA"}},
                              getxapi_body(written, g.expected_cursor)};
    cases.push_back(std::move(g));
    Case x{"x_api", "GET /2/dm_events", make_codec(ProviderKind::x_api), {}, {}};
    x.expected_cursor = "18LAA581J5II7LA00000";
    x.response = HttpResponse{200,
                              {{"date", "Thu, 05 Feb 2026 13:03:00 UTC"},
                               {"content-type", "application/json; charset=utf-8"},
                               {"x-rate-limit-limit", "300"},
                               {"x-rate-limit-remaining", "297"},
                               {"x-rate-limit-reset", "1770297480"},
                               {"x-response-time", "142"},
                               {"x-transaction-id", "5b1e3c9f0a2d4e67"},
                               {"cache-control", "no-cache, no-store, max-age=0"}},
                              x_api_body(written, x.expected_cursor)};
    cases.push_back(std::move(x));
  }
  for (auto& c : cases) {
    if (!c.codec->reads_inbox()) fail(std::string(c.provider) + ": the codec does not read an inbox");
    check(c, written);
  }
  int outgoing = 0;
  std::size_t non_ascii = 0, links = 0;
  for (auto const& m : written) {
    outgoing += m.sender_id == kOwnId;
    non_ascii += code_points(m.text) != m.text.size();
    links += m.text.find("https://") != std::string::npos;
  }

  std::printf("inbox parse benchmark%s: one inbox page of %d one-to-one messages per parse\n", o.quick ? " (--quick)" : "",
              kMessages);
  std::printf("  %d rounds per provider, each %d ms of the codec and %d ms of the plain parse, alternating which goes\n"
              "  first; figures are each side's median round. %u CPUs, load average %s\n",
              o.rounds, o.slice_ms, o.slice_ms, std::thread::hardware_concurrency(), load_average().c_str());
  std::printf("  the page: %d sent by the account, %d received; %zu texts with a link, %zu with non-ASCII characters;\n"
              "  snowflake ids, ISO times with milliseconds, a next cursor (checked: parse_inbox reads all %d back)\n",
              outgoing, kMessages - outgoing, links, non_ascii, kMessages);
  for (auto const& c : cases)
    std::printf("    %-8s %-22s answer body %6zu bytes\n", c.provider, c.endpoint, c.response.body.size());
  std::printf("\n");
  std::fflush(stdout);

  std::printf("  %-8s %-30s %10s %9s %11s   %s\n", "provider", "parser", "pages/s", "MB/s", "messages/s",
              "rounds min - max pages/s");
  for (auto const& c : cases) {
    const Measured m = measure(c, o);
    const std::size_t bytes = c.response.body.size();
    print_side(c.provider, "parse_inbox (the codec)", m.codec, bytes);
    print_side(c.provider, "boost::json::parse alone", m.plain, bytes);
    std::printf("  %-8s %-30s %9.2fx slower   (median of the rounds; per round %.2fx - %.2fx)\n", c.provider,
                "codec / plain", median(m.plain) / median(m.codec), *std::min_element(m.ratio.begin(), m.ratio.end()),
                *std::max_element(m.ratio.begin(), m.ratio.end()));
    std::fflush(stdout);
  }
  std::printf(
      "\n  parse_inbox does the same boost::json::parse and then validates every field, checks every id is decimal,\n"
      "  converts every ISO time, vets the cursor against the secrets and copies each message out (x_api also\n"
      "  checks each conversation's participants): the ratio is that work on top of the plain parse.\n");
  std::printf("  %.1f s in all (sink %zu)\n", std::chrono::duration<double>(Clock::now() - start).count(),
              static_cast<std::size_t>(g_sink));
  return 0;
}
