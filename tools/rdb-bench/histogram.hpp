#pragma once

#include <array>
#include <cstdint>

namespace rdb::bench {

/// Latencies in microseconds in log-linear buckets: 64 linear sub-buckets per power of two,
/// so a reported percentile is within 1/64 (1.6%) of the true value. Fixed size, no allocation
/// per sample; histograms of different threads merge by adding.
class histogram {
 public:
  void record(std::uint64_t us);
  void merge(const histogram& other);
  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }
  /// The smallest recorded bucket bound at or above fraction `q` (0..1) of the samples.
  std::uint64_t percentile(double q) const;

 private:
  static constexpr int sub_bits = 6;
  static constexpr int sub = 1 << sub_bits;
  static constexpr int buckets = (64 - sub_bits + 1) * sub;

  static int index_of(std::uint64_t v);
  static std::uint64_t upper_bound_of(int index);

  std::array<std::uint64_t, buckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace rdb::bench
