#pragma once

#include <cstdint>
#include <vector>

#include "pd/failure.hpp"
#include "pd/types.hpp"

/// The initial layout of a cluster: validating a bootstrap request and placing its replicas.
namespace rdb::pd {

/// Accepts a request only if its regions would cover the key space exactly once: a cluster id,
/// non-empty split keys in strictly ascending order within the key size limit, at least one
/// replica and no more than there are stores, distinct non-empty store addresses.
result<void> check_layout(const bootstrap_request& req);

/// Chooses `replicas` distinct stores for each of `regions` regions. Each region takes the
/// least-loaded stores, ties going to the store that comes first in `stores`, and every choice
/// adds to the load: with equal loads this is round-robin, and any two stores end up carrying
/// replica counts that differ by at most one. Preconditions: 1 <= replicas <= stores.size().
std::vector<std::vector<store_id>> place_replicas(const std::vector<store_id>& stores,
                                                  std::size_t regions, std::uint32_t replicas);

}  // namespace rdb::pd
