#include "actors/transport/transport_types.hpp"

namespace rdb {

std::optional<raft_beat> compact_beat(const raft_envelope& env) {
  using raft::message_type;
  const auto& m = env.msg;
  if (m.type != message_type::heartbeat && m.type != message_type::heartbeat_resp)
    return std::nullopt;
  raft_beat beat{env.region, env.from.id, env.from.role,
                 env.to.id,  env.to.role, env.epoch,
                 m.term,     m.commit,    m.type == message_type::heartbeat_resp};
  // Anything the compact form drops (a read context, a stray field) keeps the envelope whole.
  if (expand_beat(beat, env.from.store, env.to.store) != env) return std::nullopt;
  return beat;
}

raft_envelope expand_beat(const raft_beat& beat, store_id from, store_id to) {
  raft_envelope env;
  env.region = beat.region;
  env.from = {beat.from, from, beat.from_role};
  env.to = {beat.to, to, beat.to_role};
  env.epoch = beat.epoch;
  env.msg.type = beat.response ? raft::message_type::heartbeat_resp : raft::message_type::heartbeat;
  env.msg.to = beat.to;
  env.msg.from = beat.from;
  env.msg.term = beat.term;
  env.msg.commit = beat.commit;
  return env;
}

}  // namespace rdb
