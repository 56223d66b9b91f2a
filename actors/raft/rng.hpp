#pragma once

#include <cstdint>

namespace rdb::raft {

/// SplitMix64: a tiny generator whose output depends only on the seed, on every platform and
/// standard library (unlike std distributions), so a simulation replays exactly.
class rng {
 public:
  explicit rng(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  /// A number in [0, n); n must be positive. The modulo bias is irrelevant for timeouts.
  std::uint64_t below(std::uint64_t n) { return next() % n; }

 private:
  std::uint64_t state_;
};

}  // namespace rdb::raft
