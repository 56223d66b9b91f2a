#include "tools/rdb-bench/histogram.hpp"

#include <algorithm>
#include <bit>

namespace rdb::bench {

int histogram::index_of(std::uint64_t v) {
  if (v < sub) return static_cast<int>(v);
  // Bucket group g holds [2^(g+sub_bits-1), 2^(g+sub_bits)) in `sub` equal steps.
  int width = std::bit_width(v);
  int group = width - sub_bits;
  auto step = static_cast<int>((v >> (width - sub_bits - 1)) - (std::uint64_t{1} << sub_bits));
  return group * sub + step;
}

std::uint64_t histogram::upper_bound_of(int index) {
  if (index < sub) return static_cast<std::uint64_t>(index);
  int group = index / sub;
  int step = index % sub;
  int shift = group - 1;
  return ((std::uint64_t{sub} + static_cast<std::uint64_t>(step) + 1) << shift) - 1;
}

void histogram::record(std::uint64_t us) {
  ++counts_[static_cast<std::size_t>(index_of(us))];
  ++count_;
  max_ = std::max(max_, us);
}

void histogram::merge(const histogram& other) {
  for (std::size_t i = 0; i < counts_.size(); ++i)
    counts_[i] += other.counts_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

std::uint64_t histogram::percentile(double q) const {
  if (count_ == 0) return 0;
  auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_));
  if (rank >= count_) rank = count_ - 1;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen > rank) return std::min(upper_bound_of(static_cast<int>(i)), max_);
  }
  return max_;
}

}  // namespace rdb::bench
