#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <shared_mutex>

#include "storage/log_engine.hpp"
#include "storage/log_format.hpp"

/// Deleting segments that hold no live entry (TiKV's raft-engine purges the same way).
///
/// A segment before the oldest one holding a live entry of some region holds nothing a log
/// still reads, but it may hold the latest hard state or truncation of a region that wrote
/// nothing since, and the store identity. So a purge opens the new segment with a checkpoint
/// record: a `checkpoint` op naming the first segment it keeps, the identity, and every
/// region's hard state and truncation. Only once that record is durable are the older
/// segments deleted, oldest first, so what is left on disk is always a run of consecutive
/// segments.
///
/// A restart then starts at a segment after purged ones. Until it reaches a checkpoint that
/// keeps no segment before that one, a log may have a gap in front (its earlier entries were
/// purged): the replay restarts the region's log at the first entry it finds, marked provisional.
/// The checkpoint's truncation must cover every such gap (it does, since purged segments held no
/// live entry); a gap it does not cover is reported as corruption, as is a first segment
/// after 1 without its checkpoint.
namespace rdb::storage {

using namespace log_format;

std::string log_engine::checkpoint_payload(std::uint32_t keep) {
  std::string out;
  put_op(out, op_kind::checkpoint);
  put_u32(out, keep);
  put_op(out, op_kind::ident);
  put_bytes(out, codec_.encode(ident_));
  std::shared_lock lock{mutex_};
  for (const auto& [region, log] : regions_) {
    if (log.hard) {
      put_op(out, op_kind::hard_state);
      put_u64(out, region.value());
      put_bytes(out, codec_.encode(*log.hard));
    }
    if (log.has_truncated) {
      put_op(out, op_kind::truncate);
      put_u64(out, region.value());
      put_u64(out, log.truncated_index.value());
      put_u64(out, log.truncated_term.value());
    }
  }
  return out;
}

result<void> log_engine::purge(std::uint32_t current) {
  auto keep = current;
  {
    std::shared_lock lock{mutex_};
    for (const auto& [region, log] : regions_)
      if (!log.locs.empty()) keep = std::min(keep, log.locs.front().segment);
    if (keep <= segments_.begin()->first) return {};
  }
  auto payload = checkpoint_payload(keep);
  // A state too large for a segment keeps the old segments: the log stays correct, only big.
  if (payload.size() + 16 > opts_.log_segment_bytes) return {};
  if (auto ok = write_record(payload); !ok) return ok;
  while (segments_.begin()->first < keep) {
    auto number = segments_.begin()->first;
    // A segment that cannot go stays, and every later one with it.
    if (::unlink(segment_name(dir_, number).c_str()) != 0) break;
    std::unique_lock lock{mutex_};
    bytes_ -= segments_.begin()->second.end;
    // Its descriptor closes once no read holds it any more.
    segments_.erase(segments_.begin());
  }
  close_before(keep);
  int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    // Not syncing only means a crash may bring deleted segments back; a replay handles them.
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

result<void> log_engine::check_provisional() const {
  for (const auto& [region, log] : regions_)
    if (log.provisional)
      return fail(errc::storage_corrupt, "raft log of region " + std::to_string(region.value()) +
                                             " in " + dir_ + " lacks the entries up to " +
                                             std::to_string(log.truncated_index.value()) +
                                             ", which no purge checkpoint accounts for");
  return {};
}

}  // namespace rdb::storage
