// Lookup caches with TTL, and x_api OAuth tokens that survive rotation and restarts.
#include <doctest/doctest.h>

#include "storage/caches.hpp"
#include "storage/tokens.hpp"
#include "support.hpp"

using namespace outreach;
using namespace outreach::test;
using namespace std::chrono_literals;

TEST_CASE("username → id cache: hits within the TTL, any case, misses after it, remembers 'no such user'") {
  TempDir dir;
  auto db = open_db(dir);
  Duration const ttl = 24h;
  CHECK_FALSE(REQUIRE_OK(cached_user(db, "alice", at(0), ttl)).has_value());
  REQUIRE_OK(cache_user(db, "Alice", std::string_view("44196397"), at(0)));
  REQUIRE_OK(cache_user(db, "ghost", std::nullopt, at(0)));
  auto hit = REQUIRE_OK(cached_user(db, "ALICE", at(100), ttl));
  REQUIRE(hit.has_value());
  CHECK(hit->exists);
  CHECK(hit->user_id == "44196397");
  auto none = REQUIRE_OK(cached_user(db, "ghost", at(100), ttl));
  REQUIRE(none.has_value());
  CHECK_FALSE(none->exists);
  CHECK(REQUIRE_OK(cached_user(db, "alice", at(0) + ttl - 1ms, ttl)).has_value());
  CHECK_FALSE(REQUIRE_OK(cached_user(db, "alice", at(0) + ttl, ttl)).has_value());
  // A fresh answer replaces the old one.
  REQUIRE_OK(cache_user(db, "alice", std::string_view("7"), at(0) + ttl));
  CHECK(REQUIRE_OK(cached_user(db, "alice", at(0) + ttl, ttl))->user_id == "7");
  CHECK(error_of(cache_user(db, "", std::nullopt, at(0))).find("empty username") != std::string::npos);
  CHECK(error_of(cache_user(db, "x", std::string_view(""), at(0))).find("empty user id") != std::string::npos);
}

TEST_CASE("canDm cache is per account and expires with the TTL, prune_caches deletes stale entries") {
  TempDir dir;
  auto db = open_db(dir);
  add_accounts(db, {"a1", "a2"});
  Duration const ttl = 1h;
  REQUIRE_OK(cache_can_dm(db, "a1", "42", true, at(0)));
  REQUIRE_OK(cache_can_dm(db, "a2", "42", false, at(0)));
  CHECK(REQUIRE_OK(cached_can_dm(db, "a1", "42", at(10), ttl)) == std::optional<bool>(true));
  CHECK(REQUIRE_OK(cached_can_dm(db, "a2", "42", at(10), ttl)) == std::optional<bool>(false));
  CHECK_FALSE(REQUIRE_OK(cached_can_dm(db, "a1", "43", at(10), ttl)).has_value());
  CHECK_FALSE(REQUIRE_OK(cached_can_dm(db, "a1", "42", at(3600), ttl)).has_value());
  REQUIRE_OK(cache_can_dm(db, "a1", "42", false, at(3000)));
  CHECK(REQUIRE_OK(cached_can_dm(db, "a1", "42", at(3600), ttl)) == std::optional<bool>(false));
  CHECK(error_of(cache_can_dm(db, "ghost", "42", true, at(0))) == "unknown account 'ghost'");
  CHECK(error_of(cached_can_dm(db, "ghost", "42", at(0), ttl)) == "unknown account 'ghost'");

  REQUIRE_OK(cache_user(db, "old", std::string_view("1"), at(0)));
  REQUIRE_OK(cache_user(db, "new", std::string_view("2"), at(3000)));
  CHECK(REQUIRE_OK(prune_caches(db, at(3600), ttl)) == 2);  // a2's canDm and "old"
  CHECK(query_int(db, "SELECT count(*) FROM user_id_cache") == 1);
  CHECK(query_int(db, "SELECT count(*) FROM can_dm_cache") == 1);
}

TEST_CASE("rotated x_api tokens survive a restart, a new token in the config replaces them") {
  TempDir dir;
  StoredOAuthTokens const config{Secret("access-1"), Secret("refresh-1"), std::nullopt};
  {
    auto db = open_db(dir);
    auto first = REQUIRE_OK(adopt_oauth_tokens(db, "brand", config, at(0)));
    CHECK(first.access_token == Secret("access-1"));
    CHECK(first.refresh_token == Secret("refresh-1"));
    REQUIRE_OK(save_rotated_tokens(db, "brand", {Secret("access-2"), Secret("refresh-2"), at(7200)}, at(10)));
  }
  {
    auto db = open_db(dir);  // a restart with the same config
    auto used = REQUIRE_OK(adopt_oauth_tokens(db, "brand", config, at(20)));
    CHECK(used.access_token == Secret("access-2"));
    CHECK(used.refresh_token == Secret("refresh-2"));
    CHECK(used.expires_at == at(7200));
    REQUIRE_OK(save_rotated_tokens(db, "brand", {Secret("access-3"), Secret("refresh-3"), std::nullopt}, at(30)));
    auto loaded = REQUIRE_OK(load_oauth_tokens(db, "brand"));
    REQUIRE(loaded.has_value());
    CHECK(loaded->refresh_token == Secret("refresh-3"));
  }
  {
    auto db = open_db(dir);  // the operator put a fresh token in the config
    StoredOAuthTokens const fresh{Secret("access-9"), Secret("refresh-9"), std::nullopt};
    auto used = REQUIRE_OK(adopt_oauth_tokens(db, "brand", fresh, at(40)));
    CHECK(used.refresh_token == Secret("refresh-9"));
    CHECK(REQUIRE_OK(load_oauth_tokens(db, "brand"))->access_token == Secret("access-9"));
  }
}

TEST_CASE("token errors name the account, never a token") {
  TempDir dir;
  auto db = open_db(dir);
  auto const missing =
      error_of(save_rotated_tokens(db, "brand", {Secret("sekrit-a"), Secret("sekrit-r"), std::nullopt}, at(0)));
  CHECK(missing.find("brand") != std::string::npos);
  CHECK(missing.find("sekrit") == std::string::npos);
  CHECK(error_of(adopt_oauth_tokens(db, "brand", {}, at(0))).find("neither an access token nor a refresh token") !=
        std::string::npos);
  CHECK_FALSE(REQUIRE_OK(load_oauth_tokens(db, "brand")).has_value());
}
