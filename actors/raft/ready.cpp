#include "actors/raft/ready.hpp"

namespace rdb::raft {

std::string_view to_string(raft::role r) {
  switch (r) {
    case role::follower:
      return "follower";
    case role::candidate:
      return "candidate";
    case role::leader:
      return "leader";
    case role::pre_candidate:
      return "pre_candidate";
  }
  return "unknown";
}

bool ready::empty() const {
  return !soft_state && !hard_state && read_states.empty() && entries.empty() &&
         snapshot.is_empty() && committed_entries.empty() && messages.empty() &&
         persisted_messages.empty();
}

}  // namespace rdb::raft
