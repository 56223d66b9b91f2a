#include "actors/raft/config.hpp"

namespace rdb::raft {

std::expected<void, error> config::validate() const {
  if (id.is_none()) return std::unexpected{error{errc::invalid_config, "id must not be zero"}};
  if (heartbeat_tick <= 0)
    return std::unexpected{error{errc::invalid_config, "heartbeat_tick must be positive"}};
  if (election_tick <= heartbeat_tick)
    return std::unexpected{
        error{errc::invalid_config, "election_tick must be greater than heartbeat_tick"}};
  if (max_inflight_msgs == 0)
    return std::unexpected{error{errc::invalid_config, "max_inflight_msgs must be positive"}};
  if (max_outstanding_readies == 0)
    return std::unexpected{error{errc::invalid_config, "max_outstanding_readies must be positive"}};
  return {};
}

}  // namespace rdb::raft
