#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "storage/log_engine.hpp"
#include "storage/store.hpp"

namespace rdb::tools::dump {

/// Prints what rdb-dump shows of an open store. Each call takes one read view; a storage
/// error stops the listing and is returned for the caller to report.
class store_printer {
 public:
  store_printer(const storage::store& s, std::ostream& out) : store_(s), out_(out) {}

  /// Identity, then every region with any state: range, epoch, peers, state (when it has a
  /// region local state), log bounds, raft state, approximate size.
  storage::result<void> summary();
  /// Entries [from, to] of one region's log; `to` none means up to the last index.
  storage::result<void> log(region_id region, raft::log_index from, raft::log_index to);
  /// Up to `limit` data records in [start, end).
  storage::result<void> data(const std::string& start, const std::string& end, std::size_t limit);

 private:
  storage::result<void> region(const storage::read_view& view, region_id id);

  const storage::store& store_;
  std::ostream& out_;
};

/// Prints what rdb-dump shows of an open raft log engine (a store directory's `raft/`).
class log_printer {
 public:
  log_printer(const storage::log_engine& log, std::ostream& out) : log_(log), out_(out) {}

  /// Identity, then every region's log bounds, hard state and truncation.
  storage::result<void> summary();
  /// As `store_printer::log`.
  storage::result<void> log(region_id region, raft::log_index from, raft::log_index to);

 private:
  const storage::log_engine& log_;
  std::ostream& out_;
};

}  // namespace rdb::tools::dump
