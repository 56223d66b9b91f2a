#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/ids.hpp"
#include "storage/types.hpp"

/// Client-visible error codes of the store-side runtime. Plain C++ so the plain classes (the
/// region peer's logic, the command codec) report failures without CAF; actors/common/errors.hpp
/// turns them into `caf::error`s of category "rdb".
namespace rdb {

/// Every way a client request can fail. The numbers are pinned: they cross process boundaries
/// as the code of a `caf::error` in category "rdb", so a value is never reused or renumbered.
/// A client retries `region_not_found`, `key_not_in_region`, `not_leader`, `epoch_not_match`,
/// `server_busy` and `timeout` after refreshing its region cache; the others are final.
enum class errc : std::uint8_t {
  /// This store has no replica of the requested region.
  region_not_found = 1,
  /// The key lies outside the region's range [start_key, end_key).
  key_not_in_region = 2,
  /// This replica is not the leader. The error carries the leader it knows of, if any.
  not_leader = 3,
  /// The request's region epoch differs from the replica's. The error carries the regions
  /// the replica knows now, so the client can refresh its cache without asking PD.
  epoch_not_match = 4,
  /// The replica cannot take more work right now (a queue is full, a ready is stuck).
  server_busy = 5,
  /// The request could not be answered in time; its outcome is unknown.
  timeout = 6,
  /// The request is malformed: oversized key or value, empty range, bad limit.
  invalid_argument = 7,
  /// A stored record or a raft entry failed verification. Nothing acknowledged is lost: the
  /// replica stops serving rather than guess.
  storage_corrupt = 8,
};

/// The enumerator's name, e.g. "not_leader"; a `std::string` so CAF prints it in messages.
std::string to_string(errc code);

/// A failed request as the plain classes report it: the code plus whatever the client needs to
/// retry well. Converted to and from `caf::error` by actors/common/errors.hpp.
struct request_error {
  errc code = errc::invalid_argument;
  /// For humans; clients branch on `code` only.
  std::string detail;
  /// The region the request was for.
  region_id region;
  /// `not_leader` only: the leader this replica knows of; `leader.id` is none if unknown.
  storage::region_peer leader;
  /// `epoch_not_match` only: the current meta of the region(s) covering the request.
  std::vector<storage::region_meta> regions;
  /// A write failed after it was proposed, or with its fate unknown to the store (a timeout,
  /// a peer that stopped holding it): it may still be applied. False: this attempt certainly
  /// changed nothing (refused before it was proposed, or its entry was replaced).
  bool maybe_applied = false;

  bool operator==(const request_error&) const = default;
};

/// Shorthands for the common shapes.
request_error make_request_error(errc code, region_id region, std::string detail);
request_error make_not_leader(region_id region, storage::region_peer leader);
request_error make_epoch_not_match(storage::region_meta current, std::string detail);

}  // namespace rdb
