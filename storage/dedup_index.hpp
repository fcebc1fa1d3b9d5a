#pragma once
// The in-memory duplicate check of an import (internal to storage/import.cpp).
//
// Why not UNIQUE indexes: a million usernames arrive in random order, and keeping two B-tree
// indexes sorted under random inserts thrashes the page cache (measured: about a third of the
// sqlite3 CLI's load rate). Instead each key's 64-bit hash goes into an open-addressing table of
// 8-byte slots — 16 MB per million keys — and a slot's row is read back from the database to
// confirm a match, so a hash collision can never drop a recipient.
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace outreach::detail {

class DedupIndex {
 public:
  /// Whether a key with this hash was inserted: each slot whose fingerprint matches is confirmed
  /// by `same_key(offset)` (the caller compares the stored row at that offset with the new key).
  template <class SameKey>  // Result<bool>(std::uint32_t offset)
  Result<bool> contains(std::uint64_t hash, SameKey&& same_key) const {
    if (slots_.empty()) return false;
    auto const fingerprint = static_cast<std::uint32_t>(hash >> 32);
    std::size_t const mask = slots_.size() - 1;
    for (std::size_t i = index_of(fingerprint);; i = (i + 1) & mask) {
      std::uint64_t const slot = slots_[i];
      if (slot == 0) return false;
      if (static_cast<std::uint32_t>(slot >> 32) != fingerprint) continue;
      Result<bool> same = same_key(static_cast<std::uint32_t>(slot) - 1);
      if (!same || *same) return same;
    }
  }
  /// Remembers the key's hash for the row at `offset` (0-based position within the import).
  void insert(std::uint64_t hash, std::uint32_t offset);
  std::size_t size() const { return count_; }
  std::size_t memory_bytes() const { return slots_.size() * sizeof(std::uint64_t); }

 private:
  void grow();
  std::size_t index_of(std::uint32_t fingerprint) const { return fingerprint >> (32 - bits_); }

  // A slot is (top 32 bits of the hash) << 32 | (offset + 1); 0 is empty. The slot index is the
  // top `bits_` bits of the hash, so the table can be rebuilt larger from the slots alone.
  std::vector<std::uint64_t> slots_;
  std::size_t count_ = 0;
  unsigned bits_ = 0;
};

}  // namespace outreach::detail
