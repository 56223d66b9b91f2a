#include "crash_batches.hpp"

#include <cstdio>

namespace rdb::storage::test::crash {

std::string batch_key(std::uint64_t k) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "batch/%012llu", static_cast<unsigned long long>(k));
  return buf;
}

std::string batch_value(std::uint64_t k, std::uint64_t region) {
  auto h = (k * 0x9e3779b97f4a7c15ull) ^ (region * 0xc2b2ae3d27d4eb4full);
  std::string v = "k=" + std::to_string(k) + ",r=" + std::to_string(region) + ";";
  v.resize(10 + (h >> 32) % 3000, static_cast<char>('a' + h % 26));
  return v;
}

std::uint64_t truncated_after(std::uint64_t k) {
  auto last_compaction = k - k % compact_every;
  return last_compaction >= compact_every ? last_compaction - keep : 0;
}

}  // namespace rdb::storage::test::crash
