#include "actors/common/errors.hpp"
#include "tests/actors/peer_cluster_fixture.hpp"

using namespace rdb;
using rdb::test::cluster;
using rdb::test::code_of;

namespace {

caf::expected<write_response> change(cluster& c, const storage::region_meta& current,
                                     peer_change_kind kind, storage::region_peer p) {
  return test::ask<write_response>(
      c.sys, c.sched, c.nodes[0].peer, change_peer_atom::value,
      change_peer_request{request_header{current.id, current.epoch}, kind, p});
}

storage::region_meta stored_meta(cluster& c, std::size_t i) {
  auto view = c.nodes[i].store.kv->read().value();
  auto rs = view.load_region_state(c.meta.id).value();
  REQUIRE(rs.has_value());
  return rs->region;
}

}  // namespace

TEST_CASE_FIXTURE(cluster, "membership: changes apply on every replica, and a new one catches up") {
  start_all(true);
  caf::anon_send(nodes[0].peer, campaign_atom::value);
  sched.run();
  REQUIRE(put(0, "before", "1").engaged());
  storage::region_peer learner{peer_id{14}, store_id{4}, storage::peer_role::learner};
  auto added = change(*this, meta, peer_change_kind::add_learner, learner);
  REQUIRE(added.engaged());
  tick_all(2);
  auto current = status(0).region;
  CHECK(current.epoch.conf_ver == 2);
  CHECK(current.epoch.version == 1);
  REQUIRE(current.peers.size() == 4);
  CHECK(current.peers[3] == learner);
  // The meta was written with the apply state, on every replica.
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(status(i).region == current);
    CHECK(stored_meta(*this, i) == current);
  }
  // A change computed against the old membership is refused.
  auto stale = change(*this, meta, peer_change_kind::remove, meta.peers[2]);
  REQUIRE_FALSE(stale.engaged());
  CHECK(code_of(stale.error()) == errc::epoch_not_match);
  // Not created yet: however short the log, a learner that never acknowledged anything is not
  // caught up, and PD must not promote it.
  auto before_join = status(0).pending_peers;
  CHECK(before_join == std::vector{learner});
  // The learner is created as the leader's first message creates it: uninitialized, serving
  // nothing, until the snapshot the leader sends brings the region's state and meta.
  join(3, learner.id);
  CHECK(status(3).region.peers.empty());
  auto early = get(3, "before");
  REQUIRE_FALSE(early.engaged());
  CHECK(code_of(early.error()) == errc::region_not_found);
  REQUIRE(put(0, "after", "2").engaged());
  tick_all(6);
  auto s3 = status(3);
  CHECK(s3.region == current);
  CHECK(s3.applied == status(0).applied);
  CHECK(status(0).pending_peers.empty());
  {
    auto view = nodes[3].store.kv->read().value();
    CHECK(view.get("before").value() == std::optional<std::string>{"1"});
    CHECK(view.get("after").value() == std::optional<std::string>{"2"});
  }
  // Promote it, then remove an original voter: each step bumps conf_ver once.
  auto promoted = change(*this, current, peer_change_kind::add_voter,
                         storage::region_peer{peer_id{14}, store_id{4}, storage::peer_role::voter});
  REQUIRE(promoted.engaged());
  tick_all(2);
  current = status(0).region;
  CHECK(current.epoch.conf_ver == 3);
  CHECK(current.peers[3].role == storage::peer_role::voter);
  auto removed = change(*this, current, peer_change_kind::remove, meta.peers[2]);
  REQUIRE(removed.engaged());
  tick_all(2);
  current = status(0).region;
  CHECK(current.epoch.conf_ver == 4);
  CHECK(current.peers.size() == 3);
  CHECK(status(3).region == current);
  // The group still commits with the new voter set.
  REQUIRE(put(0, "last", "3").engaged());
}

TEST_CASE_FIXTURE(cluster,
                  "membership: a follower whose log writes lag applies two changes in a row "
                  "on top of each other") {
  max_outstanding_readies = 8;
  auto gate = std::make_shared<test::writer_gate>();
  store_writer_actor gate_actor;
  writer_for = [&](std::size_t i, store_writer_actor w) {
    if (i != 2) return w;
    gate_actor = test::spawn_gate(sys, w, gate);
    return gate_actor;
  };
  start_all(true);
  caf::anon_send(nodes[0].peer, campaign_atom::value);
  sched.run();
  REQUIRE(put(0, "k", "v").engaged());
  // Store 2 goes on receiving and stepping, but none of its log writes completes: it hands out
  // the first change's commit while the second change comes and commits too.
  gate->hold = true;
  storage::region_peer first{peer_id{14}, store_id{4}, storage::peer_role::learner};
  REQUIRE(change(*this, meta, peer_change_kind::add_learner, first).engaged());
  tick_all(2);
  storage::region_peer second{peer_id{15}, store_id{5}, storage::peer_role::learner};
  REQUIRE(change(*this, status(0).region, peer_change_kind::add_learner, second).engaged());
  tick_all(2);
  caf::anon_send(gate_actor, commit_due_atom::value);
  sched.run();
  tick_all(2);
  auto current = status(0).region;
  REQUIRE(current.peers.size() == 5);
  CHECK(current.epoch.conf_ver == 3);
  // Its meta has both changes, in memory and on disk.
  CHECK(status(2).region == current);
  CHECK(stored_meta(*this, 2) == current);
}

TEST_CASE_FIXTURE(cluster,
                  "membership: the leader reports replicas behind as pending, silent as down") {
  transfer_max_lag = 4;
  start_all(true);
  caf::anon_send(nodes[0].peer, campaign_atom::value);
  sched.run();
  tick_all(2);
  auto s = status(0);
  CHECK(s.pending_peers.empty());
  CHECK(s.down_peers.empty());
  net->isolate(store_of(2), true);
  for (int k = 0; k < 8; ++k)
    REQUIRE(put(0, "k" + std::to_string(k), "v").engaged());
  s = status(0);
  REQUIRE(s.pending_peers.size() == 1);
  CHECK(s.pending_peers[0] == meta.peers[2]);
  // Not silent for long enough yet.
  CHECK(s.down_peers.empty());
  sched.advance_time(std::chrono::seconds{11});
  // A heartbeat round: the replica still connected answers.
  tick_all(2);
  s = status(0);
  REQUIRE(s.down_peers.size() == 1);
  CHECK(s.down_peers[0] == meta.peers[2]);
  // A follower reports nothing.
  CHECK(status(1).pending_peers.empty());
  CHECK(status(1).down_peers.empty());
  net->isolate(store_of(2), false);
  tick_all(4);
  s = status(0);
  CHECK(s.pending_peers.empty());
  CHECK(s.down_peers.empty());
}

TEST_CASE_FIXTURE(cluster,
                  "membership: a removed replica tombstones itself, drops its data and log, "
                  "stops, and may come back under a new peer id") {
  start_all(true);
  caf::anon_send(nodes[0].peer, campaign_atom::value);
  sched.run();
  REQUIRE(put(0, "a", "1", 1).engaged());
  auto removed = change(*this, meta, peer_change_kind::remove, meta.peers[2]);
  REQUIRE(removed.engaged());
  auto local_state = [&] {
    auto view = nodes[2].store.kv->read().value();
    return view.load_region_state(meta.id).value();
  };
  for (int round = 0; round < 30 && local_state()->state != storage::peer_state::tombstone; ++round)
    tick_all(1);
  auto tomb = local_state();
  REQUIRE(tomb.has_value());
  CHECK(tomb->state == storage::peer_state::tombstone);
  CHECK(tomb->region.epoch.conf_ver == 2);
  CHECK(tomb->region.peers.size() == 2);
  {
    auto view = nodes[2].store.kv->read().value();
    CHECK(view.get("a").value() == std::nullopt);
    CHECK_FALSE(view.load_apply_state(meta.id).value().has_value());
    CHECK(view.load_client_sessions(meta.id).value().empty());
  }
  // Its log is gone from the log engine, and its actor has stopped.
  CHECK_FALSE(nodes[2].store.raft->hard_state(meta.id).has_value());
  CHECK_FALSE(test::ask<region_status>(sys, sched, nodes[2].peer, status_atom::value).engaged());
  // The others still hold the data and commit without it.
  CHECK(get(0, "a")->value == "1");
  REQUIRE(put(0, "b", "2", 2).engaged());
  // The region comes back to store 2 under a new peer id: a fresh replica is created over the
  // tombstone and catches up by snapshot.
  storage::region_peer back{peer_id{15}, store_of(2), storage::peer_role::learner};
  REQUIRE(change(*this, status(0).region, peer_change_kind::add_learner, back).engaged());
  tick_all(2);
  auto current = status(0).region;
  REQUIRE(current.epoch.conf_ver == 3);
  stop_all();
  start(0, false);
  start(1, false);
  join(2, back.id);
  caf::anon_send(nodes[0].peer, campaign_atom::value);
  sched.run();
  for (int round = 0; round < 30 && status(2).applied < status(0).applied; ++round)
    tick_all(1);
  CHECK(status(2).applied == status(0).applied);
  CHECK(status(2).region == current);
  auto view = nodes[2].store.kv->read().value();
  CHECK(view.get("a").value() == std::optional<std::string>{"1"});
  CHECK(view.get("b").value() == std::optional<std::string>{"2"});
}

TEST_CASE_FIXTURE(cluster,
                  "membership: a leader reports at its next tick that a new replica caught up") {
  collect_reports = true;
  start_all(true);
  caf::anon_send(nodes[0].peer, campaign_atom::value);
  sched.run();
  REQUIRE(put(0, "before", "1").engaged());
  storage::region_peer learner{peer_id{14}, store_id{4}, storage::peer_role::learner};
  REQUIRE(change(*this, meta, peer_change_kind::add_learner, learner).engaged());
  tick_all(2);
  // The new membership was reported with the learner still to catch up.
  REQUIRE_FALSE(reports->empty());
  CHECK(reports->back().pending_peers == std::vector{learner});
  join(3, learner.id);
  for (int round = 0; round < 20 && !status(0).pending_peers.empty(); ++round)
    tick_all(1);
  REQUIRE(status(0).pending_peers.empty());
  tick_all(1);
  // PD hears of it now, not with the periodic report: a move promotes the learner on it.
  CHECK(reports->back().pending_peers.empty());
  CHECK(reports->back().region.peers.size() == 4);
}

TEST_CASE_FIXTURE(cluster,
                  "membership: a replica that missed a change votes for a member it does not "
                  "know yet, when the group needs its vote") {
  start_all(true);
  caf::anon_send(nodes[0].peer, campaign_atom::value);
  sched.run();
  REQUIRE(put(0, "k", "v").engaged());
  // Store 2 is away while peer 14 on store 3 joins as a voter and store 1's replica leaves.
  net->isolate(store_of(2), true);
  storage::region_peer added{peer_id{14}, store_id{4}, storage::peer_role::learner};
  REQUIRE(change(*this, meta, peer_change_kind::add_learner, added).engaged());
  tick_all(2);
  join(3, added.id);
  for (int round = 0; round < 20 && !status(0).pending_peers.empty(); ++round)
    tick_all(1);
  added.role = storage::peer_role::voter;
  REQUIRE(change(*this, status(0).region, peer_change_kind::add_voter, added).engaged());
  tick_all(2);
  REQUIRE(change(*this, status(0).region, peer_change_kind::remove, meta.peers[1]).engaged());
  tick_all(2);
  auto current = status(0).region;
  REQUIRE(current.peers.size() == 3);
  REQUIRE(status(2).region == meta);
  // The leader's store goes away and store 2 comes back: peers 13 and 14 are the only quorum,
  // and store 2's meta does not list peer 14.
  net->isolate(store_of(0), true);
  net->isolate(store_of(2), false);
  caf::anon_send(nodes[3].peer, campaign_atom::value);
  sched.run();
  for (int round = 0; round < 40 && !status(3).is_leader(); ++round)
    tick_all(1);
  REQUIRE(status(3).is_leader());
  tick_all(2);
  auto got = get(3, "k");
  REQUIRE(got.engaged());
  CHECK(got->value == "v");
  // And store 2 learns the membership it missed.
  REQUIRE(put(3, "k2", "v2").engaged());
  tick_all(2);
  CHECK(status(2).region == status(3).region);
}

TEST_CASE_FIXTURE(cluster, "membership: a replica waiting for its first snapshot never votes") {
  start_all(true);
  caf::anon_send(nodes[0].peer, campaign_atom::value);
  sched.run();
  join(3, peer_id{14});
  auto before = status(3).term;
  // It has no log to compare a candidate's with: a vote of its could elect one missing
  // committed entries. Neither request moves its term (a vote would, to the candidate's).
  for (auto type : {raft::message_type::pre_vote, raft::message_type::vote}) {
    raft_envelope env;
    env.region = meta.id;
    env.from = meta.peers[1];
    env.to = {peer_id{14}, store_of(3), storage::peer_role::voter};
    env.epoch = {2, 1};
    env.msg.type = type;
    env.msg.from = env.from.id;
    env.msg.to = env.to.id;
    env.msg.term = raft::term_id{50};
    env.msg.index = raft::log_index{1000};
    env.msg.log_term = raft::term_id{50};
    caf::anon_send(nodes[3].peer, raft_msg_atom::value, env);
    sched.run();
  }
  CHECK(status(3).term == before);
  CHECK_FALSE(nodes[3].store.raft->hard_state(meta.id).has_value());
}

TEST_CASE_FIXTURE(cluster,
                  "membership: a replica removed while its store was away destroys itself when "
                  "PD shows it the newer membership") {
  start_all(true);
  caf::anon_send(nodes[0].peer, campaign_atom::value);
  sched.run();
  REQUIRE(put(0, "a", "1", 1).engaged());
  net->isolate(store_of(2), true);
  REQUIRE(change(*this, meta, peer_change_kind::remove, meta.peers[2]).engaged());
  tick_all(2);
  auto current = status(0).region;
  REQUIRE(current.epoch.conf_ver == 2);
  // Store 2 never heard of its removal.
  CHECK(status(2).region == meta);
  auto removed = [&](const storage::region_meta& m) {
    caf::anon_send(nodes[2].peer, removed_atom::value, m);
    sched.run();
  };
  // Neither an older membership nor one that still lists it says anything.
  auto listing = current;
  listing.peers.push_back(meta.peers[2]);
  removed(meta);
  removed(listing);
  REQUIRE(test::ask<region_status>(sys, sched, nodes[2].peer, status_atom::value).engaged());
  removed(current);
  CHECK_FALSE(test::ask<region_status>(sys, sched, nodes[2].peer, status_atom::value).engaged());
  auto view = nodes[2].store.kv->read().value();
  auto tomb = view.load_region_state(meta.id).value();
  REQUIRE(tomb.has_value());
  CHECK(tomb->state == storage::peer_state::tombstone);
  // PD's membership is recorded: a message of it or older creates no replica here again.
  CHECK(tomb->region == current);
  CHECK(view.get("a").value() == std::nullopt);
  CHECK_FALSE(nodes[2].store.raft->hard_state(meta.id).has_value());
}

TEST_CASE_FIXTURE(cluster,
                  "membership: messages from a removed replica of an older epoch are dropped, "
                  "from a lagging member they are not") {
  start_all(true);
  caf::anon_send(nodes[0].peer, campaign_atom::value);
  sched.run();
  REQUIRE(change(*this, meta, peer_change_kind::remove, meta.peers[2]).engaged());
  tick_all(2);
  auto current = status(0).region;
  REQUIRE(current.epoch.conf_ver == 2);
  auto term = status(1).term;
  auto leader = status(1).leader;
  // An append at a higher term, as a removed replica that won an election among stale peers
  // would send: heeded, it would make the follower give up its leader for one outside the group.
  auto append_from = [&](storage::region_peer from, storage::region_epoch epoch) {
    raft_envelope env;
    env.region = meta.id;
    env.from = from;
    env.to = current.peers[1];
    env.epoch = epoch;
    env.msg.type = raft::message_type::append;
    env.msg.from = from.id;
    env.msg.to = env.to.id;
    env.msg.term = term + 5;
    env.msg.index = raft::log_index{0};
    env.msg.log_term = raft::term_id{0};
    caf::anon_send(nodes[1].peer, raft_msg_atom::value, env);
    sched.run();
  };
  append_from(meta.peers[2], meta.epoch);
  CHECK(status(1).term == term);
  CHECK(status(1).leader == leader);
  // The same from a member still at the older epoch is raft's to judge: it moves the term.
  append_from(meta.peers[0], meta.epoch);
  CHECK(status(1).term == term + 5);
}
