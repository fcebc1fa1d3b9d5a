#include "storage/dedup_index.hpp"

#include <algorithm>

namespace outreach::detail {

void DedupIndex::insert(std::uint64_t hash, std::uint32_t offset) {
  // Grow at 3/4 full: linear probing stays short.
  if ((count_ + 1) * 4 > slots_.size() * 3) grow();
  auto const fingerprint = static_cast<std::uint32_t>(hash >> 32);
  std::size_t const mask = slots_.size() - 1;
  std::size_t i = index_of(fingerprint);
  while (slots_[i] != 0) i = (i + 1) & mask;
  slots_[i] = (static_cast<std::uint64_t>(fingerprint) << 32) | (static_cast<std::uint64_t>(offset) + 1);
  ++count_;
}

void DedupIndex::grow() {
  // Up to 2^31 slots: the index must come from the 32 stored fingerprint bits.
  unsigned const bits = bits_ == 0 ? 10 : std::min(bits_ + 1, 31u);
  std::vector<std::uint64_t> old = std::move(slots_);
  slots_.assign(std::size_t{1} << bits, 0);
  bits_ = bits;
  std::size_t const mask = slots_.size() - 1;
  for (std::uint64_t slot : old) {
    if (slot == 0) continue;
    std::size_t i = index_of(static_cast<std::uint32_t>(slot >> 32));
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

}  // namespace outreach::detail
