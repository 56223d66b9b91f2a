#include <utility>

#include "actors/region/peer.hpp"

/// Splits of `peer` (see peer.hpp).
///
/// A split is a command like a write: proposed by the leader against the region's epoch, and
/// applied by every replica at the same index, where it is checked again (a conf change or
/// another split committed before it makes it stale: refused with `epoch_not_match`, applied
/// nowhere). Applying it shrinks the parent to [start, key) and founds the child [key, end), both
/// at version + 1, in the same kv commit as the parent's apply state: the child's region state,
/// its apply state at the founding index and a copy of the parent's client sessions (a write
/// retried after the split is still recognised by whichever half holds its key). Writes
/// committed after the split for keys that moved are refused at apply the same way on every
/// replica, never applied to the wrong region. Once that commit is written the replica reports
/// the child (`peer_output::splits`); its store starts the child's peer, which opens from that
/// state with an empty log (raft_storage::open).
namespace rdb {

void peer::split(std::uint64_t token, const split_request& req) {
  note_activity();
  const auto& m = meta();
  auto invalid = [&](const std::string& why) {
    return make_request_error(errc::invalid_argument, m.id, why);
  };
  auto err = check_header(req.header, true);
  if (!err) err = cfg_.limits.check_key(req.split_key, m.id);
  if (!err && !(req.split_key > m.start_key && storage::before_end(req.split_key, m.end_key)))
    err = invalid("split key must lie strictly inside the region's range");
  if (!err && (req.new_region.is_none() || req.new_region == m.id))
    err = invalid("the new region needs an id of its own");
  if (!err && req.new_peers.size() != m.peers.size())
    err =
        invalid("the new region needs one peer id per peer of the region (" +
                std::to_string(m.peers.size()) + "), got " + std::to_string(req.new_peers.size()));
  if (!err) err = check_leader();
  if (!err) err = check_capacity();
  if (err) return fail(token, std::move(*err));
  command cmd;
  cmd.kind = command_kind::split;
  cmd.key = req.split_key;
  cmd.new_region = req.new_region;
  cmd.new_peers = req.new_peers;
  cmd.conf_ver = m.epoch.conf_ver;
  cmd.version = m.epoch.version;
  cmd.child_bytes = req.child_bytes;
  propose(token, std::move(cmd));
}

std::optional<request_error> peer::apply_split(const command& cmd, storage::region_meta& m,
                                               write_task& task) {
  bool inside = cmd.key > m.start_key && storage::before_end(cmd.key, m.end_key);
  if (cmd.conf_ver != m.epoch.conf_ver || cmd.version != m.epoch.version || !inside)
    return make_epoch_not_match(m, "the split was proposed against epoch " +
                                       std::to_string(cmd.conf_ver) + "/" +
                                       std::to_string(cmd.version));
  if (cmd.new_peers.size() != m.peers.size())
    return make_request_error(errc::invalid_argument, m.id, "the split names too few peers");
  split_child child;
  child.meta.id = cmd.new_region;
  child.meta.start_key = cmd.key;
  child.meta.end_key = m.end_key;
  m.end_key = cmd.key;
  ++m.epoch.version;
  child.meta.epoch = m.epoch;
  for (std::size_t k = 0; k < m.peers.size(); ++k)
    child.meta.peers.push_back({cmd.new_peers[k], m.peers[k].store, m.peers[k].role});
  child.sessions = sessions_.all();
  child.bytes = cmd.child_bytes;
  task.children.push_back(std::move(child));
  return std::nullopt;
}

void peer::refuse_entry(raft::log_index index, request_error err) {
  proposal_queue::proposal p;
  if (proposals_.take_at(index, p)) fail(p.token, std::move(err));
}

}  // namespace rdb
