#pragma once

#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/raft/types.hpp"
#include "storage/error.hpp"
#include "storage/ids.hpp"
#include "storage/record_codec.hpp"
#include "storage/segment_preparer.hpp"
#include "storage/store_options.hpp"
#include "storage/types.hpp"
#include "storage/write_batch.hpp"

namespace rdb::storage {

/// The raft logs and hard states of all regions of a store, as append-only segment files (the
/// idea of TiKV's raft-engine and etcd's WAL).
///
/// Why not LMDB: every region's log tail sits in a different B-tree leaf, so one group commit
/// of a few KiB of entries rewrites dozens of copy-on-write pages and syncs twice (pages, then
/// meta). Here one batch is one record appended with one `pwrite` and made durable with one
/// `fdatasync`; segments are preallocated so the sync rarely has file metadata to write.
///
/// On disk: `<dir>/NNNNNNNNNNNNNNNN.log`, numbered from 1. A record is `u32 payload length,
/// u32 CRC-32 of the payload, payload`; the payload is a list of operations (log_engine.cpp
/// has the encoding), entries and hard states as the same verified FlatBuffers as elsewhere.
/// The first record of segment 1 is the store identity; a purge's checkpoint restates it. Records
/// end at a zero length, written after each record and again (synced) before a new segment starts.
/// A record whose length or CRC does not hold ends the log when it is the last thing in the last
/// segment (a write torn by a crash: it was never acknowledged, and a zero length is written over
/// it at open). Followed by a sound record, or in an earlier segment (those were ended cleanly),
/// it is corruption (`storage_corrupt`). Damage to the last record itself, or to a length field,
/// cannot be told from a torn write and also ends the log there.
///
/// In memory: per region the hard state, the truncated index and term, and where each live entry
/// of the log lives (segment, offset, size, term). Entries are read back with `pread` and
/// verified. When a new segment starts, the segments before the oldest one that holds a live
/// entry are deleted, after a checkpoint of every region's state (log_engine_purge.cpp), so a
/// restart reads only segments that still matter.
///
/// Threads: `write` from one thread at a time (the log writer); every reader from any thread,
/// concurrently with writes. A write becomes visible to readers once it is durable.
class log_engine {
 public:
  /// Opens (with `create_if_missing`, creating the directory and the first segment with the
  /// identity) the log in `dir`, replaying every segment. Honors `read_only` (a torn tail is
  /// then skipped, not cut off), `cluster` and `store` as `store::open` does.
  static result<std::unique_ptr<log_engine>> open(const std::string& dir,
                                                  const store_options& opts);

  log_engine(const log_engine&) = delete;
  log_engine& operator=(const log_engine&) = delete;
  ~log_engine();

  /// Appends the batch as one record and syncs it. Takes the log operations of a write batch
  /// (append, compact_log, clear_log, set_hard_state, set_apply_state for its truncated index
  /// and term, destroy_region) with the same rules as `store::write`; region state and data
  /// operations are refused with `invalid_argument`. All checks run before anything is written.
  result<void> write(const write_batch& batch);

  // -- reads: the same contracts as read_view's log functions --------------------------------

  result<std::vector<raft::entry>> entries(region_id region, raft::log_index lo, raft::log_index hi,
                                           std::uint64_t max_bytes) const;
  result<raft::term_id> term(region_id region, raft::log_index i) const;
  result<raft::log_index> first_index(region_id region) const;
  result<raft::log_index> last_index(region_id region) const;
  std::optional<raft::hard_state> hard_state(region_id region) const;
  /// The truncated index and term as an apply state (applied index: the truncated index).
  std::optional<apply_state> truncated(region_id region) const;
  /// Every region with any record, in id order.
  std::vector<region_id> regions() const;

  const store_ident& ident() const { return ident_; }
  const std::string& dir() const { return dir_; }
  /// Segments on disk, and bytes of records in them.
  std::uint64_t segment_count() const;
  /// Segment files open now: the one being written and the sealed ones open for reads.
  std::size_t open_segment_files() const;
  std::uint64_t bytes() const;

 private:
  struct entry_loc {
    raft::term_id term;
    std::uint32_t segment = 0;
    std::uint32_t size = 0;
    std::uint64_t offset = 0;
  };
  struct region_log {
    std::optional<raft::hard_state> hard;
    bool has_truncated = false;
    /// While replaying segments that follow purged ones: the entries start past the truncated
    /// index known so far, which the purge's checkpoint must cover (see log_engine_purge.cpp).
    bool provisional = false;
    raft::log_index truncated_index;
    raft::term_id truncated_term;
    /// Entries truncated_index + 1 .. truncated_index + locs.size().
    std::deque<entry_loc> locs;

    raft::log_index last() const { return truncated_index + locs.size(); }
  };
  /// An open segment file; closed when the last holder lets go, so a read that copied it
  /// outlives a purge of its segment or its eviction from the open files.
  struct segment_file {
    int fd = -1;
    explicit segment_file(int f) : fd(f) {}
    segment_file(const segment_file&) = delete;
    segment_file& operator=(const segment_file&) = delete;
    ~segment_file();
  };
  struct segment {
    /// Only the segment being written (the last) keeps its file here; sealed ones are opened
    /// for reads on demand (`file_of`).
    std::shared_ptr<segment_file> file;
    std::uint64_t end = 0;
    int fd() const { return file->fd; }
  };
  /// The open file of segment `number` for reading: the last segment's, or a sealed one from
  /// the open files, opened now if it is not among them. Called with `mutex_` held, so a
  /// purge cannot delete the file first.
  result<std::shared_ptr<segment_file>> file_of(std::uint32_t number) const;
  /// Forgets the open files of the segments before `keep`.
  void close_before(std::uint32_t keep) const;

  log_engine(std::string dir, const store_options& opts);

  result<void> replay();
  result<void> replay_segment(std::uint32_t number, bool last);
  result<void> apply_record(std::uint32_t number, std::uint64_t offset, std::string_view payload);
  /// Whether a record with a sound checksum starts at `off` of a segment's bytes.
  static bool record_at(std::string_view data, std::uint64_t off);
  result<void> create_first_segment();
  /// After segment `current` started: deletes the segments before the oldest one that holds a
  /// live entry, once a checkpoint of every region's state opens `current`
  /// (log_engine_purge.cpp).
  result<void> purge(std::uint32_t current);
  /// The checkpoint record's payload: the identity and every region's hard state and
  /// truncation, for segments from `keep` on.
  std::string checkpoint_payload(std::uint32_t keep);
  /// Writes `payload` as a record at the end of the last segment and syncs it.
  result<void> write_record(const std::string& payload);
  /// Fails if a region still has entries that no purge checkpoint explained.
  result<void> check_provisional() const;
  result<void> start_segment(std::uint32_t number);
  /// Makes the file of segment `number` exist, preallocated and synced, and returns its
  /// descriptor: the prepared one if there is one, else created here.
  result<int> make_segment(std::uint32_t number);
  result<void> check_ident() const;
  /// Encodes `batch` into `out`, checking it against the current state.
  result<void> encode(const write_batch& batch, std::string& out);
  result<void> append_record(const std::string& payload);
  /// Writes and syncs a zero length at `offset` of segment `number`: its records end there.
  result<void> terminate(std::uint32_t number, std::uint64_t offset);
  std::string where(region_id region, raft::log_index i) const;

  std::string dir_;
  store_options opts_;
  store_ident ident_;
  std::map<std::uint32_t, segment> segments_;
  /// Replay only: the first segment on disk, and whether records are replayed that follow
  /// purged segments whose checkpoint has not come yet (gaps in a log are then tolerated).
  std::uint32_t first_segment_ = 1;
  bool lenient_ = false;
  /// Within the checkpoint record that accounts for the purged segments: `lenient_` ends with it.
  bool closing_ = false;
  /// Guards `regions_` and `segments_`: readers shared, the writer exclusive while it folds a
  /// durable record in.
  mutable std::shared_mutex mutex_;
  std::unordered_map<region_id, region_log> regions_;
  std::uint64_t bytes_ = 0;
  record_codec codec_;
  std::mutex write_mutex_;
  /// Sealed segments open for reads, least recently read first; at most
  /// `store_options::log_open_segments`.
  mutable std::mutex open_mutex_;
  mutable std::list<std::pair<std::uint32_t, std::shared_ptr<segment_file>>> open_;
  /// Prepares the next segment while the current one fills (not when read-only).
  std::unique_ptr<segment_preparer> preparer_;
};

}  // namespace rdb::storage
