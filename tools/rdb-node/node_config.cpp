#include "tools/rdb-node/node_config.hpp"

#include <algorithm>
#include <thread>

#include <caf/atom.hpp>
#include <caf/config_option_adder.hpp>
#include <caf/io/middleman.hpp>

#include "actors/common/log.hpp"
#include "actors/region/peer.hpp"
#include "actors/store/store_types.hpp"
#include "actors/transport/connector.hpp"
#include "storage/types.hpp"

namespace rdb::node {

node_config::node_config() : max_key_bytes(storage::max_key_size) {
  add_store_types(*this);
  load<caf::io::middleman>();
  opt_group{custom_options_, "global"}
      .add(mode, "mode", "what this process runs: pd, store or both (default: store)")
      .add(data_dir, "data-dir",
           "directory of this node's data: pd/ and store/ (default: rdb-data)")
      .add(host, "host", "address to listen on (default: 127.0.0.1)")
      .add(pd_port, "pd-port", "PD's port with --mode=pd or both; 0 picks one (default: 2379)")
      .add(pd_address, "pd", "PD to join, host:port (default: 127.0.0.1:2379)")
      .add(peer_port, "peer-port",
           "the store's port for other stores (raft traffic); 0 picks one (default: 20160)")
      .add(client_port, "client-port",
           "the store's Cap'n Proto KV service port; 0 picks one (default: 20161)")
      .add(tick_interval, "tick-interval", "raft tick period of every region (default: 100ms)")
      .add(election_ticks, "election-ticks", "ticks before a follower campaigns (default: 10)")
      .add(heartbeat_ticks, "heartbeat-ticks", "ticks between leader heartbeats (default: 2)")
      .add(lease_reads, "lease-reads",
           "a leader a quorum heard from recently serves reads without a heartbeat round "
           "(default: true)")
      .add(max_clock_drift, "max-clock-drift",
           "how far two stores' clocks may disagree over an election timeout; the read lease "
           "is (election-ticks - 1) x tick-interval less this (default: 50ms)")
      .add(write_pipeline, "write-pipeline",
           "raft readies of one region being written at once, 1-64 (default: 4)")
      .add(peer_down_after, "peer-down-after",
           "a region's leader reports a replica it has not heard from for this long to PD as "
           "down (default: 10s)")
      .add(log_gc_ticks, "log-gc-ticks",
           "a leader considers compacting its region's raft log every this many ticks; 0: never "
           "(default: 50)")
      .add(log_gc_threshold, "log-gc-threshold",
           "entries that every replica holds and that can go before a log is compacted "
           "(default: 1024)")
      .add(log_gc_count_limit, "log-gc-count-limit",
           "entries a lagging replica holds a log back at most; past it the log is compacted "
           "and that replica gets a snapshot (default: 16384)")
      .add(snapshot_max_bytes_per_sec, "snapshot-max-bytes-per-sec",
           "bytes per second one snapshot stream sends at most; 0: no limit (default: 0)")
      .add(region_split_size, "region-split-size",
           "a region whose data grows past this many bytes splits in two (default: 100663296, "
           "96 MiB)")
      .add(region_split_keys, "region-split-keys",
           "a region holding more than this many keys splits in two near its middle by key "
           "count (default: 960000)")
      .add(split_check_interval, "split-check-interval",
           "how often a store checks the sizes of the regions it leads (default: 10s)")
      .add(pd_tick_interval, "pd-tick-interval",
           "PD's clock; a store silent for 10 ticks is down (default: 1s)")
      .add(initial_stores, "initial-stores",
           "PD bootstraps the cluster once this many stores registered (default: 3)")
      .add(initial_regions, "initial-regions",
           "regions of a new cluster, split evenly over the first byte, 1-256 (default: 16)")
      .add(replicas, "replicas", "replicas of each initial region (default: 3)")
      .add(allow_partitions, "allow-partitions",
           "lets a test tool cut this store off from others (rdb-console's partition); for "
           "fault-injection scenarios only (default: false)")
      .add(balance_leaders, "balance-leaders",
           "PD moves leaders off stores that lead more regions than others (default: true)")
      .add(balance_regions, "balance-regions",
           "PD moves replicas from stores holding more to stores holding less: by count while "
           "regions are alike in size, by size when not (default: true)")
      .add(replica_repair, "replica-repair",
           "PD rebuilds the replicas of a store down longer than max-store-down-time on other "
           "stores, and brings every region back to its replica count (default: true)")
      .add(max_store_down_time, "max-store-down-time",
           "how long a store may be down before PD rebuilds its replicas elsewhere "
           "(default: 30min)")
      .add(operator_timeout, "operator-timeout",
           "a move or another operator of PD not finished within this is stopped and rolled "
           "back (default: 10min)")
      .add(schedule_limit, "schedule-limit",
           "operators each PD scheduler runs at once (default: 4)")
      .add(cluster_id, "cluster-id", "id of the cluster a new store joins (default: 1)")
      .add(max_key_bytes, "max-key-bytes", "largest key accepted, at most 4096 (default: 4096)")
      .add(max_value_bytes, "max-value-bytes", "largest value accepted (default: 8388608)")
      .add(log_level_text, "log-level", "error, warning, info or debug (default: warning)");
  auto cores = std::max<std::size_t>(1, std::thread::hardware_concurrency());
  set("scheduler.max-threads", cores);
  // A busy actor yields after this many messages, so ticks are not starved.
  set("scheduler.max-throughput", std::size_t{300});
  set("scheduler.policy", caf::atom("sharing"));
  // Off by default in CAF 0.17: without them a crashed peer is noticed only when TCP gives up.
  set("middleman.heartbeat-interval", caf::timespan{std::chrono::milliseconds{500}});
  set("middleman.connection-timeout", caf::timespan{std::chrono::seconds{3}});
}

std::chrono::nanoseconds node_config::read_lease() const {
  if (!lease_reads) return std::chrono::nanoseconds{0};
  return longest_safe_lease(election_ticks, tick_interval, max_clock_drift);
}

std::string node_config::validate() {
  if (!runs_pd() && !runs_store()) return "--mode must be pd, store or both, not '" + mode + "'";
  rdb::log_level level;
  if (!parse_log_level(log_level_text, level))
    return "--log-level must be error, warning, info or debug, not '" + log_level_text + "'";
  set_log_level(level);
  if (data_dir.empty()) return "--data-dir must not be empty";
  if (!split_address(pd_address)) return "--pd must be host:port, not '" + pd_address + "'";
  if (tick_interval <= caf::timespan{0}) return "--tick-interval must be positive";
  if (pd_tick_interval <= caf::timespan{0}) return "--pd-tick-interval must be positive";
  if (max_store_down_time < pd_tick_interval || operator_timeout < pd_tick_interval)
    return "--max-store-down-time and --operator-timeout must be at least --pd-tick-interval";
  if (schedule_limit < 1) return "--schedule-limit must be at least 1";
  if (heartbeat_ticks < 1 || election_ticks <= heartbeat_ticks)
    return "--heartbeat-ticks must be at least 1 and below --election-ticks";
  if (max_clock_drift < caf::timespan{0}) return "--max-clock-drift must not be negative";
  if (lease_reads && read_lease().count() == 0)
    return "--max-clock-drift must be below (election-ticks - 1) x tick-interval, or lease "
           "reads turned off (lease-reads=false in the config file)";
  if (write_pipeline < 1 || write_pipeline > 64) return "--write-pipeline must be 1-64";
  if (log_gc_ticks < 0) return "--log-gc-ticks must not be negative";
  if (peer_down_after <= caf::timespan{0}) return "--peer-down-after must be positive";
  if (log_gc_threshold < 1) return "--log-gc-threshold must be at least 1";
  if (log_gc_count_limit < 1) return "--log-gc-count-limit must be at least 1";
  if (region_split_size < 1) return "--region-split-size must be at least 1";
  if (region_split_keys < 1) return "--region-split-keys must be at least 1";
  if (split_check_interval <= caf::timespan{0}) return "--split-check-interval must be positive";
  if (initial_regions < 1 || initial_regions > 256) return "--initial-regions must be 1-256";
  if (replicas < 1 || replicas > initial_stores)
    return "--replicas must be at least 1 and at most --initial-stores";
  if (cluster_id == 0) return "--cluster-id must not be 0";
  if (max_key_bytes < 1 || max_key_bytes > storage::max_key_size)
    return "--max-key-bytes must be 1-" + std::to_string(storage::max_key_size);
  if (max_value_bytes < 1 || max_value_bytes > storage::max_value_size)
    return "--max-value-bytes must be 1-" + std::to_string(storage::max_value_size);
  return {};
}

}  // namespace rdb::node
