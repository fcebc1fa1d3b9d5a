// ClaimCoalescer against a real SQLite queue: claims asked for in one turn of the loop share one
// durable transaction, each goes to the account that asked, and one account's problem or a worker
// that stopped meanwhile never costs the others their claims.
#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <map>

#include "daemon/runtime/claim_coalescer.hpp"
#include "storage/queue.hpp"
#include "tests/storage/support.hpp"

using namespace outreach;
using namespace outreach::test;
namespace asio = boost::asio;

namespace {

using ClaimResult = Result<std::optional<ClaimedRecipient>>;

struct Fixture {
  TempDir dir;
  Database db = open_db(dir);
  asio::io_context io;
  ClaimCoalescer claims{io.get_executor(), db, [] { return at(0); }};
  std::map<std::string, ClaimResult> results;  // by caller label

  /// Starts one claim in the loop; its result lands in results[label].
  void ask(std::string label, std::string account, std::function<bool()> wanted = {}) {
    asio::co_spawn(
        io,
        [this, label, account, wanted]() -> asio::awaitable<void> {
          auto r = co_await claims.claim(account, wanted);
          results.insert_or_assign(label, std::move(r));
        },
        asio::detached);
  }
};

std::string claimed_username(ClaimResult const& r) {
  REQUIRE(r.has_value());
  REQUIRE(r->has_value());
  return (*r)->username;
}

}  // namespace

TEST_CASE("claims asked for in the same turn of the loop share one durable commit") {
  Fixture f;
  add_accounts(f.db, {"a1", "a2", "a3"});
  import_campaign(f.db, {.accounts = {"a1", "a2", "a3"}}, {rec("alice"), rec("bob"), rec("carol"), rec("dave")});
  f.ask("a1", "a1");
  f.ask("a2", "a2");
  f.ask("a3", "a3");
  f.io.run();

  REQUIRE(f.results.size() == 3);
  CHECK(claimed_username(f.results.at("a1")) == "alice");
  CHECK(claimed_username(f.results.at("a2")) == "bob");
  CHECK(claimed_username(f.results.at("a3")) == "carol");
  CHECK((*f.results.at("a2"))->account == "a2");
  CHECK(f.claims.stats().commits == 1);
  CHECK(f.claims.stats().claims == 3);
  CHECK(f.claims.stats().largest == 3);
  CHECK(state_of(f.db, "alice") == "sending");
  CHECK(state_of(f.db, "dave") == "pending");
  check_consistent(f.db);
}

TEST_CASE("claims asked for in different turns commit separately, and nothing due is nullopt") {
  Fixture f;
  add_accounts(f.db, {"a1"});
  import_campaign(f.db, {.accounts = {"a1"}}, {rec("alice")});
  f.ask("first", "a1");
  f.io.run();
  f.io.restart();
  f.ask("second", "a1");
  f.io.run();
  CHECK(claimed_username(f.results.at("first")) == "alice");
  REQUIRE(f.results.at("second").has_value());
  CHECK_FALSE(f.results.at("second")->has_value());
  CHECK(f.claims.stats().commits == 2);
}

TEST_CASE("a worker that stopped before the batch ran gets nothing and nothing is claimed for it") {
  Fixture f;
  add_accounts(f.db, {"a1", "a2"});
  import_campaign(f.db, {.accounts = {"a1", "a2"}}, {rec("alice"), rec("bob")});
  bool a1_stopping = false;
  f.ask("a1", "a1", [&] { return !a1_stopping; });
  f.ask("a2", "a2", [] { return true; });
  // A stop arriving in the same turn, after the claim was asked for but before the batch runs.
  asio::post(f.io, [&] { a1_stopping = true; });
  f.io.run();
  REQUIRE(f.results.at("a1").has_value());
  CHECK_FALSE(f.results.at("a1")->has_value());
  CHECK(claimed_username(f.results.at("a2")) == "alice");
  CHECK(state_of(f.db, "bob") == "pending");
  check_consistent(f.db);
}

TEST_CASE("one account's error fails only that account's claim") {
  Fixture f;
  add_accounts(f.db, {"a1", "a2"});
  import_campaign(f.db, {.accounts = {"a1", "a2"}}, {rec("alice"), rec("bob")});
  f.ask("a1", "a1");
  f.ask("ghost", "ghost");
  f.ask("a2", "a2");
  f.io.run();
  CHECK(claimed_username(f.results.at("a1")) == "alice");
  CHECK(claimed_username(f.results.at("a2")) == "bob");
  CHECK(error_of(f.results.at("ghost")) == "unknown account 'ghost'");
  check_consistent(f.db);
}

TEST_CASE("two claims for one account in the same turn go into separate transactions") {
  Fixture f;
  add_accounts(f.db, {"a1"});
  import_campaign(f.db, {.accounts = {"a1"}}, {rec("alice"), rec("bob")});
  f.ask("x", "a1");
  f.ask("y", "a1");
  f.io.run();
  CHECK(claimed_username(f.results.at("x")) == "alice");
  CHECK(claimed_username(f.results.at("y")) == "bob");
  CHECK(f.claims.stats().commits == 2);
  check_consistent(f.db);
}
