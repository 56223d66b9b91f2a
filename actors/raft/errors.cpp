#include "actors/raft/errors.hpp"

namespace rdb::raft {

std::string_view to_string(errc code) {
  switch (code) {
    case errc::none:
      return "none";
    case errc::compacted:
      return "compacted";
    case errc::unavailable:
      return "unavailable";
    case errc::snapshot_out_of_date:
      return "snapshot_out_of_date";
    case errc::snapshot_temporarily_unavailable:
      return "snapshot_temporarily_unavailable";
    case errc::proposal_dropped:
      return "proposal_dropped";
    case errc::step_local_msg:
      return "step_local_msg";
    case errc::step_peer_not_found:
      return "step_peer_not_found";
    case errc::invalid_config:
      return "invalid_config";
    case errc::malformed:
      return "malformed";
    case errc::storage_failure:
      return "storage_failure";
  }
  return "unknown";
}

}  // namespace rdb::raft
