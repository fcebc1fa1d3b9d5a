// The import's in-memory duplicate table: a fingerprint match is only a candidate, confirmed by
// the caller, so colliding hashes never drop a distinct recipient; and it grows without losing keys.
#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <unordered_map>
#include <vector>

#include "storage/dedup_index.hpp"

using outreach::Result;
using outreach::detail::DedupIndex;

TEST_CASE("a fingerprint match counts only when the caller confirms the key") {
  DedupIndex index;
  std::uint64_t const h = 0xDEADBEEF12345678ULL;
  std::vector<std::uint32_t> asked;
  auto never = [&](std::uint32_t offset) -> Result<bool> {
    asked.push_back(offset);
    return false;
  };
  CHECK_FALSE(index.contains(h, never).value());
  CHECK(asked.empty());  // nothing stored: no candidate to confirm

  index.insert(h, 0);
  index.insert(h, 7);  // a different key with the very same hash
  CHECK_FALSE(index.contains(h, never).value());
  CHECK(asked == std::vector<std::uint32_t>{0, 7});

  auto second = [](std::uint32_t offset) -> Result<bool> { return offset == 7; };
  CHECK(index.contains(h, second).value());
  CHECK(index.size() == 2);
}

TEST_CASE("an error while confirming is passed to the caller") {
  DedupIndex index;
  index.insert(42, 0);
  auto failing = [](std::uint32_t) -> Result<bool> { return outreach::make_error("disk on fire"); };
  auto r = index.contains(42, failing);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message == "disk on fire");
}

TEST_CASE("growing keeps every key findable, and absent keys absent") {
  DedupIndex index;
  std::mt19937_64 rng(12345);
  std::unordered_map<std::uint64_t, std::uint32_t> stored;
  for (std::uint32_t i = 0; i < 200'000; ++i) {
    std::uint64_t const h = rng();
    if (stored.emplace(h, i).second) index.insert(h, i);
  }
  CHECK(index.size() == stored.size());
  // 8-byte slots, between 3/8 and 3/4 full: at most 8 / (3/8) bytes per key.
  CHECK(index.memory_bytes() * 3 <= 64 * stored.size() + 8192);
  int missing = 0;
  for (auto const& [h, offset] : stored) {
    auto const want = offset;
    auto same = [want](std::uint32_t got) -> Result<bool> { return got == want; };
    missing += index.contains(h, same).value() ? 0 : 1;
  }
  CHECK(missing == 0);
  int found_absent = 0;
  for (int i = 0; i < 10'000; ++i) {
    std::uint64_t const h = rng();
    if (stored.count(h) != 0) continue;
    // A candidate may turn up (a shared fingerprint); the caller's check then says "different key".
    auto same_as_stored = [&](std::uint32_t) -> Result<bool> { return false; };
    found_absent += index.contains(h, same_as_stored).value() ? 1 : 0;
  }
  CHECK(found_absent == 0);
}
