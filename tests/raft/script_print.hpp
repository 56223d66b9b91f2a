#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "actors/raft/ready.hpp"
#include "actors/raft/status.hpp"
#include "actors/raft/types.hpp"

/// Text renderings used by the interaction scripts. They are part of every expected output, so
/// they change only deliberately: a new field means rewriting all expectations.
namespace rdb::raft::script {

/// "(1,2,3)".
std::string format_ids(const std::vector<node_id>& ids);

/// "voters=(1,2,3) learners=(4)".
std::string format_conf(const raft::conf_state& cs);

/// raft's own entry rendering, plus the decoded change for conf change entries (raft prints
/// only their size, which says nothing about what changes).
std::string format_entry(const raft::entry& e);

/// "i5 t2 voters=(1,2,3) learners=()".
std::string format_snapshot_meta(const raft::snapshot_metadata& m);

/// Every non-empty part of a ready, one item per line, each line prefixed by `indent`.
void print_ready(std::ostream& os, const raft::ready& rd, const std::string& indent);

/// The node's state on one line, then (on a leader) one line per tracked peer.
void print_status(std::ostream& os, const raft::status& st);

}  // namespace rdb::raft::script
