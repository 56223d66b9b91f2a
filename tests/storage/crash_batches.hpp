#pragma once

#include <cstdint>
#include <string>

#include "actors/raft/types.hpp"
#include "storage/ids.hpp"

/// The batches the crash writer commits, defined once so the checker can recompute what each
/// committed batch must have left behind.
///
/// Batch k (k = 1, 2, ...) in one write batch: for regions 1 and 2 the log entry k, hard state
/// commit k and apply state applied k; every `compact_every` batches the logs are compacted up
/// to k - `keep`; in `data`, key batch_key(k) = batch_value(k) and key "counter" = k.
namespace rdb::storage::test::crash {

inline constexpr std::uint64_t regions = 2;
inline constexpr std::uint64_t compact_every = 32;
inline constexpr std::uint64_t keep = 16;

std::string batch_key(std::uint64_t k);
/// A value whose size (10 to ~3000 bytes) and content depend on k and region.
std::string batch_value(std::uint64_t k, std::uint64_t region);
inline constexpr std::string_view counter_key = "counter";

/// The truncated index both logs must have once batches 1..k are committed.
std::uint64_t truncated_after(std::uint64_t k);

}  // namespace rdb::storage::test::crash
