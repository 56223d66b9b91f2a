#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "actors/raft/types.hpp"
#include "actors/region/session_table.hpp"
#include "storage/engines.hpp"
#include "storage/error.hpp"
#include "storage/ids.hpp"
#include "storage/snapshot_file.hpp"
#include "storage/types.hpp"

/// Region snapshots: the state machine of one replica at one applied index, in a file
/// (storage/snapshot_file.hpp), named to raft by a descriptor.
namespace rdb {

/// What `raft::snapshot::data` holds for a region: where the file is on the store that holds
/// it, its size and checksum, and the region meta it carries. The file itself travels apart
/// (the transport's snapshot channel), and the receiving store rewrites `path` to its copy.
struct snapshot_descriptor {
  std::string path;
  std::uint64_t bytes = 0;
  std::uint32_t crc = 0;
  storage::region_local_state region;

  bool operator==(const snapshot_descriptor&) const = default;
};

std::string encode_descriptor(const snapshot_descriptor& d);
std::optional<snapshot_descriptor> decode_descriptor(const std::string& data);

/// Builds the snapshot of `region` into `path`: its meta, applied index, data and client
/// sessions from one read view of the kv environment (released before the sessions are brought
/// to the applied index by replaying the log after their checkpoint, as a restart does), and
/// the term of the applied entry from the log. Blocks on IO: run it off the region peer.
storage::result<raft::snapshot> build_region_snapshot(const storage::engines& st, region_id region,
                                                      const session_table::limits& limits,
                                                      const std::string& path);

/// Replays the client-facing writes of the log entries in (from, to] into `table`, as
/// their apply did (actors/region/session_table.hpp). Fails if the log no longer holds them
/// or one no longer decodes.
storage::result<void> replay_sessions(session_table& table, const storage::log_engine& log,
                                      region_id region, raft::log_index from, raft::log_index to);

}  // namespace rdb
