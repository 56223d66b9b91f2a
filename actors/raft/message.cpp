#include "actors/raft/message.hpp"

#include <sstream>

namespace rdb::raft {

std::string_view to_string(message_type t) {
  switch (t) {
    case message_type::hup:
      return "hup";
    case message_type::beat:
      return "beat";
    case message_type::propose:
      return "propose";
    case message_type::append:
      return "append";
    case message_type::append_resp:
      return "append_resp";
    case message_type::vote:
      return "vote";
    case message_type::vote_resp:
      return "vote_resp";
    case message_type::snapshot:
      return "snapshot";
    case message_type::heartbeat:
      return "heartbeat";
    case message_type::heartbeat_resp:
      return "heartbeat_resp";
    case message_type::unreachable:
      return "unreachable";
    case message_type::snapshot_status:
      return "snapshot_status";
    case message_type::check_quorum:
      return "check_quorum";
    case message_type::transfer_leader:
      return "transfer_leader";
    case message_type::timeout_now:
      return "timeout_now";
    case message_type::read_index:
      return "read_index";
    case message_type::read_index_resp:
      return "read_index_resp";
    case message_type::pre_vote:
      return "pre_vote";
    case message_type::pre_vote_resp:
      return "pre_vote_resp";
  }
  return "unknown";
}

bool is_local_message(message_type t) {
  switch (t) {
    case message_type::hup:
    case message_type::beat:
    case message_type::unreachable:
    case message_type::snapshot_status:
    case message_type::check_quorum:
      return true;
    default:
      return false;
  }
}

bool is_response_message(message_type t) {
  switch (t) {
    case message_type::append_resp:
    case message_type::vote_resp:
    case message_type::heartbeat_resp:
    case message_type::unreachable:
    case message_type::pre_vote_resp:
      return true;
    default:
      return false;
  }
}

std::string to_string(const entry& e) {
  std::ostringstream os;
  os << 't' << e.term << '/' << e.index;
  if (e.type == entry_type::conf_change) os << " conf";
  if (!e.data.empty()) {
    if (e.data.size() <= 16 && e.type == entry_type::normal)
      os << ' ' << e.data;
    else
      os << " (" << e.data.size() << " bytes)";
  }
  return os.str();
}

std::string to_string(const message& m) {
  std::ostringstream os;
  os << m.from << "->" << m.to << ' ' << to_string(m.type) << " t" << m.term;
  if (!m.log_term.is_none()) os << " lt" << m.log_term;
  if (!m.index.is_none()) os << " i" << m.index;
  if (!m.commit.is_none()) os << " c" << m.commit;
  if (m.reject) os << " reject hint" << m.reject_hint;
  if (!m.entries.empty()) {
    os << " [";
    for (std::size_t i = 0; i < m.entries.size(); ++i) {
      if (i > 0) os << ", ";
      os << to_string(m.entries[i]);
    }
    os << ']';
  }
  if (!m.snapshot.is_empty())
    os << " snap(i" << m.snapshot.meta.index << " t" << m.snapshot.meta.term << ')';
  if (!m.context.empty()) os << " ctx=" << m.context;
  return os.str();
}

}  // namespace rdb::raft
