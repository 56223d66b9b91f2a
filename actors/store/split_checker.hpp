#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_actor.hpp>

#include "actors/common/atoms.hpp"
#include "actors/router/router_interface.hpp"
#include "pd/pd_interface.hpp"
#include "storage/read_view.hpp"
#include "storage/store.hpp"
#include "storage/types.hpp"

/// The split checker: one per store, on a thread of its own (detached: it reads the kv
/// environment), never a region peer. It also carries out the splits PD orders. Every `interval` it
/// looks at the regions this store leads; one whose approximate size is past `split_size` gets a
/// split key near the middle of its data by size, one with more keys than `split_keys` (many
/// small records) near the middle by key count; the key is found from one read view, the new
/// ids come from PD (`ask_split`), and a `split_request` goes to the leader peer. A region that
/// keeps growing splits again.
namespace rdb {

/// Where a region splits: the key whose record takes the data walked in key order past half of
/// the range's (never the range's first key), and how many bytes lie from it on.
struct split_point {
  std::string key;
  std::uint64_t right_bytes = 0;

  bool operator==(const split_point&) const = default;
};

/// What a split halves: the bytes of the range or its number of keys.
enum class split_by { size, keys };

/// The split point of `meta`'s range in `view` (its size and keys counted first, then its
/// records walked up to the middle by `by`, values not copied); nothing if the range holds fewer
/// than two keys (either half would be empty).
storage::result<std::optional<split_point>> find_split_point(const storage::read_view& view,
                                                             const storage::region_meta& meta,
                                                             split_by by = split_by::size);

struct split_checker_stats {
  std::uint64_t rounds = 0;
  /// Splits asked of a leader, and those it answered as done.
  std::uint64_t asked = 0;
  std::uint64_t done = 0;
  /// Failures to read a region, to get ids from PD, or of the split itself.
  std::uint64_t failures = 0;

  bool operator==(const split_checker_stats&) const = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, split_checker_stats& x) {
  return f(caf::meta::type_name("split_checker_stats"), x.rounds, x.asked, x.done, x.failures);
}

/// Messages of the split checker:
/// - `(split_check_atom)` — from its own timer (or a test): one round now.
/// - `(directive_atom, pd::directive)` — from the heartbeat agent: a split PD ordered
///   (`pd::split_region_atom`), with its ids and its key (empty: the middle by size). Carried
///   out if this store leads the region at the directive's epoch and no split of it is under
///   way; otherwise dropped (PD repeats it with every heartbeat until the epoch moves on).
/// - `(stats_atom)` -> split_checker_stats.
using split_checker_actor =
    caf::typed_actor<caf::reacts_to<split_check_atom>,
                     caf::reacts_to<directive_atom, pd::directive>,
                     caf::replies_to<stats_atom>::with<split_checker_stats>>;

struct split_checker_config {
  store_id store;
  std::shared_ptr<route_holder> routes;
  std::shared_ptr<storage::store> kv;
  pd::pd_actor pd;
  /// Between rounds (`split-check-interval`); zero: no timer, rounds only when asked.
  caf::timespan interval = std::chrono::seconds{10};
  /// A region larger than this splits (`region-split-size`).
  std::uint64_t split_size = std::uint64_t{96} << 20;
  /// A region with more keys than this splits (`region-split-keys`).
  std::uint64_t split_keys = 960'000;
  /// Bound on the requests to PD and to the leader.
  caf::timespan request_timeout = std::chrono::seconds{10};
};

split_checker_actor spawn_split_checker(caf::actor_system& sys, split_checker_config cfg);

}  // namespace rdb
