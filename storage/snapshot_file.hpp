#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "actors/raft/types.hpp"
#include "storage/error.hpp"
#include "storage/record_codec.hpp"
#include "storage/types.hpp"

namespace rdb::storage {

/// The state of one region replica at one applied index, as a leader sends it to a replica
/// whose log is too far behind (raft §7).
struct snapshot_contents {
  /// The region meta as of `applied` (its conf state is the snapshot's membership).
  region_local_state region;
  raft::log_index applied;
  raft::term_id term;
  /// The client sessions standing for `applied`.
  std::vector<client_session> sessions;
  /// Every record of the region's range, in key order.
  std::vector<kv_pair> data;

  bool operator==(const snapshot_contents&) const = default;
};

/// What `snapshot_writer::finish` wrote.
struct snapshot_file_info {
  std::uint64_t bytes = 0;
  std::uint32_t crc = 0;
  std::uint64_t keys = 0;

  bool operator==(const snapshot_file_info&) const = default;
};

/// Writes a region snapshot to a file, record by record, so the data of a range goes from an
/// LMDB read view to disk without being held in memory.
///
/// Layout: the magic `RDBSNAP1`, then records `u8 kind | u32 length | payload` in this order:
/// one header (`u64 applied | u64 term | region state`, the state as the FlatBuffers record
/// of the kv environment), the data pairs (`u32 key length | key | value`), the sessions (as
/// stored), one end record (`u64 pairs | u64 sessions`); last a `u32` CRC-32 of every byte
/// before it. Integers are big-endian.
///
/// The file is not synced: a snapshot that a crash damaged is made again, and one received is
/// checked (`read_snapshot_file`) before anything of it is applied.
class snapshot_writer {
 public:
  /// Creates (or truncates) `path` and writes the header.
  static result<snapshot_writer> create(const std::string& path, const region_local_state& region,
                                        raft::log_index applied, raft::term_id term);

  result<void> pair(std::string_view key, std::string_view value);
  result<void> session(const client_session& s);
  /// Writes the end record and the checksum and closes the file.
  result<snapshot_file_info> finish();

 private:
  struct closer {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };

  snapshot_writer(std::string path, std::FILE* f) : path_(std::move(path)), file_(f) {}
  result<void> record(std::uint8_t kind, std::string_view a, std::string_view b = {});
  result<void> write(std::string_view bytes);

  std::string path_;
  std::unique_ptr<std::FILE, closer> file_;
  record_codec codec_;
  std::uint32_t crc_ = 0;
  std::uint64_t bytes_ = 0;
  std::uint64_t pairs_ = 0;
  std::uint64_t sessions_ = 0;
  std::string scratch_;
};

/// Reads and checks a whole snapshot file: the checksum, every record and their order. A file
/// that fails any check is `storage_corrupt` (a missing one `io_error`), and nothing of it is
/// returned.
result<snapshot_contents> read_snapshot_file(const std::string& path);

/// Checks a received file's magic and checksum without decoding it, and answers its size and
/// checksum (its key count is not counted: 0).
result<snapshot_file_info> verify_snapshot_file(const std::string& path);

}  // namespace rdb::storage
