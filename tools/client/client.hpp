#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <kj/async.h>

/// The C++ client of rdb's KV service (schemas/kv.capnp), used by the console, the benchmark
/// and the cluster tests.
///
/// A client keeps a region cache: the range, epoch, replicas and leader of each region it has
/// used, filled by asking any store it knows for the region of a key (the store asks PD, or
/// answers from its own routes when PD is away). Each operation goes to the leader the cache
/// names and follows the service's errors: `notLeader` moves to the named leader,
/// `epochNotMatch` replaces the cached regions, `regionNotFound`, `keyNotInRegion`,
/// `serverBusy`, `timeout` and lost connections retry with backoff (5 ms doubling to 500 ms)
/// after dropping what they made stale; a store whose connection failed or that did not
/// answer an attempt in time is avoided for a while (`options::attempt_timeout`). Every
/// operation has a deadline.
///
/// Not thread-safe: a client belongs to the thread that made it (its connections run on that
/// thread's Cap'n Proto event loop). Writes carry the client's id and a sequence number that a
/// retry reuses, and the lowest number not yet answered, below which the client never sends
/// again: so a client may keep many writes in flight (`put_async`).
namespace rdb::client {

/// What went wrong. An operation ends with `invalid_argument` or `storage_corrupt` (final
/// answers, given at once) or `deadline_exceeded` (retries ran out); the others name what
/// made an attempt fail (`error::cause`).
enum class code : std::uint8_t {
  /// Final: the request is malformed (oversized key or value, bad limit).
  invalid_argument = 1,
  /// Final: a replica found a damaged record.
  storage_corrupt = 2,
  /// The deadline passed while retrying.
  deadline_exceeded = 3,
  /// The store asked does not lead the region (and named the leader it knows, if any).
  not_leader = 4,
  /// The region changed (split, membership) since the client cached it.
  epoch_not_match = 5,
  /// The store holds no replica of the region, or its replica stopped.
  region_not_found = 6,
  /// The key is outside the region the request named.
  key_not_in_region = 7,
  /// The store has too many requests waiting.
  server_busy = 8,
  /// The store's replica did not answer in time.
  timeout = 9,
  /// No answer from the store: its connection failed, or the attempt timed out.
  connection_lost = 10,
};

std::string_view to_string(code c);

struct error {
  code what = code::deadline_exceeded;
  /// What made the last attempt fail: `what` itself for a final answer.
  code cause = code::deadline_exceeded;
  /// The last thing that went wrong, for humans.
  std::string detail;
  /// A write only: whether it may have taken effect (and may still, later). True when any
  /// attempt ended without knowing: no answer (`connection_lost`), `timeout`, or a store
  /// saying the write was proposed before it failed. False: it certainly did not take effect
  /// (every attempt was refused before being proposed, or its entry was replaced). Reads
  /// change nothing: always false.
  bool maybe_applied = false;
};

template <class T>
using result = std::expected<T, error>;

struct options {
  /// Client addresses (host:port) of one or more stores; more are learned from the regions.
  std::vector<std::string> stores;
  /// Bound on each operation, retries included.
  std::chrono::milliseconds deadline{10'000};
  /// Bound on one attempt (one call to one store): a store that does not answer in time is
  /// given up for this attempt, and for as long again it is suspect: the operation and the
  /// ones after it go to the region's other replicas (which name the new leader, or none yet),
  /// and back to it only if nothing else is left. About two election timeouts, so a paused or
  /// cut-off leader costs an operation little more than the election that replaces it; a
  /// write given up this way may still be applied, and its retry is applied at most once.
  std::chrono::milliseconds attempt_timeout{2'000};
  /// Identifies this client's writes; 0 picks a random one.
  std::uint64_t client_id = 0;
};

/// A region as the client caches it.
struct region {
  std::uint64_t id = 0;
  std::string start_key;
  /// Empty: +infinity.
  std::string end_key;
  std::uint64_t conf_ver = 0;
  std::uint64_t version = 0;
  /// Stores holding a replica, in peer order.
  std::vector<std::uint64_t> stores;
  /// The leader's store, 0 if unknown.
  std::uint64_t leader_store = 0;
  /// Whether PD described the region; false: a store's own routes did (PD was unreachable).
  bool from_pd = false;
};

/// What a compare-and-swap found and did.
struct cas_outcome {
  bool swapped = false;
  /// What the key held when the swap was decided (nothing: absent). When `retried`, what it
  /// holds now.
  std::optional<std::string> previous;
  /// An earlier attempt of this call was applied (its answer was lost): `swapped` is that
  /// attempt's outcome.
  bool retried = false;
};

/// Counters, for the benchmark and tests.
struct client_stats {
  std::uint64_t attempts = 0;
  std::uint64_t retries = 0;
  std::uint64_t region_lookups = 0;
  std::uint64_t connections = 0;
};

class client {
 public:
  explicit client(options opts);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// The value of `key`, nothing if absent. Linearizable.
  result<std::optional<std::string>> get(std::string_view key);
  result<void> put(std::string_view key, std::string_view value);
  /// `get` and `put` without blocking, for many operations in flight on one thread and
  /// connection (as the benchmark's closed-loop clients are): each promise yields what the
  /// blocking form returns, retries included. They run while the thread waits in
  /// `wait_scope()`; the client must outlive them.
  kj::Promise<result<std::optional<std::string>>> get_async(std::string key);
  kj::Promise<result<void>> put_async(std::string key, std::string value);
  /// This thread's event loop, to wait on the promises above.
  kj::WaitScope& wait_scope();
  /// Deleting an absent key succeeds.
  result<void> del(std::string_view key);
  /// Writes `value` under `key` if the key holds `expected` now (nothing: if it is absent).
  result<cas_outcome> compare_and_swap(std::string_view key,
                                       std::optional<std::string_view> expected,
                                       std::string_view value);
  /// Up to `limit` records with keys in [start, end) in key order, across regions; an empty
  /// `end` is +infinity.
  result<std::vector<std::pair<std::string, std::string>>> scan(std::string_view start,
                                                                std::string_view end,
                                                                std::uint32_t limit);
  /// One lookup per key, in order. Keys are sent in one call per leader store.
  result<std::vector<std::optional<std::string>>> batch_get(const std::vector<std::string>& keys);
  /// Writes every pair (not atomically: each pair is its own write). One call per leader store
  /// for each chunk of `batch_chunk` pairs, in order.
  result<void> batch_put(const std::vector<std::pair<std::string, std::string>>& pairs);
  /// Pairs one batch numbers and retries together: below what a region remembers of one
  /// client's unanswered writes (1,024), so every retry of a pair is still recognised.
  static constexpr std::size_t batch_chunk = 512;
  /// The region holding `key`, refreshed from the cluster.
  result<region> region_of(std::string_view key);
  /// The id of the store whose KV service is at `address` (host:port): one call, no retry,
  /// bounded by the attempt timeout. The store does no region or storage work for it, so it
  /// tells whether the store is up and what a bare round trip costs.
  result<std::uint64_t> ping(const std::string& address);
  kj::Promise<result<std::uint64_t>> ping_async(const std::string& address);

  const client_stats& stats() const;

  struct impl;

 private:
  result<void> batch_put_chunk(const std::vector<std::pair<std::string, std::string>>& pairs);
  /// Puts under sequence number `seq`, retrying under the same number.
  kj::Promise<result<void>> put_as(std::string key, std::string value, std::uint64_t seq);

  std::unique_ptr<impl> impl_;
};

}  // namespace rdb::client
