#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include <caf/actor_system_config.hpp>
#include <caf/timespan.hpp>

namespace rdb::node {

/// Every option of rdb-node, with its default. Registered in CAF's "global" group, so each is a
/// `--name=value` flag and a `name=value` line under `[global]` in the ini file.
struct node_config : caf::actor_system_config {
  node_config();

  std::string mode = "store";
  std::string data_dir = "rdb-data";
  std::string host = "127.0.0.1";
  std::uint16_t pd_port = 2379;
  std::string pd_address = "127.0.0.1:2379";
  std::uint16_t peer_port = 20160;
  std::uint16_t client_port = 20161;
  caf::timespan tick_interval = std::chrono::milliseconds{100};
  int election_ticks = 10;
  int heartbeat_ticks = 2;
  bool lease_reads = true;
  caf::timespan max_clock_drift = std::chrono::milliseconds{50};
  std::size_t write_pipeline = 4;
  caf::timespan peer_down_after = std::chrono::seconds{10};
  int log_gc_ticks = 50;
  std::size_t log_gc_threshold = 1024;
  std::size_t log_gc_count_limit = 16384;
  std::uint64_t snapshot_max_bytes_per_sec = 0;
  std::uint64_t region_split_size = std::uint64_t{96} << 20;
  std::uint64_t region_split_keys = 960'000;
  caf::timespan split_check_interval = std::chrono::seconds{10};
  caf::timespan pd_tick_interval = std::chrono::seconds{1};
  std::size_t initial_stores = 3;
  std::size_t initial_regions = 16;
  std::size_t replicas = 3;
  bool balance_leaders = true;
  bool balance_regions = true;
  bool replica_repair = true;
  caf::timespan max_store_down_time = std::chrono::minutes{30};
  caf::timespan operator_timeout = std::chrono::minutes{10};
  std::size_t schedule_limit = 4;
  bool allow_partitions = false;
  std::uint64_t cluster_id = 1;
  std::size_t max_key_bytes;
  std::size_t max_value_bytes = std::size_t{8} << 20;
  std::string log_level_text = "warning";

  bool runs_pd() const { return mode == "pd" || mode == "both"; }
  bool runs_store() const { return mode == "store" || mode == "both"; }

  /// How long a leader serves reads by its lease (zero: lease reads are off).
  std::chrono::nanoseconds read_lease() const;

  /// Checks what CAF's parser cannot (it ignores unknown ini keys and mistyped values) and
  /// applies the log level. Empty when fine, else what is wrong.
  std::string validate();
};

}  // namespace rdb::node
