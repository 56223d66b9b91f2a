// Log replication (§5.3), commitment (§5.4.2, Figure 8), the follower cases of Figure 7, and
// the leader's flow control: probe/replicate, inflight window, size cap, fast back-off.

#include <doctest/doctest.h>

#include <algorithm>

#include "tests/raft/network.hpp"

using namespace rdb::raft;
using namespace rdb::raft::test;

namespace {

bool is_prefix(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& a,
               const std::vector<std::pair<std::uint64_t, std::uint64_t>>& b) {
  return a.size() <= b.size() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace

TEST_CASE("log matching (§5.3): after replication all logs are identical") {
  network net({1, 2, 3, 4, 5});
  net.elect(1);
  for (int i = 0; i < 10; ++i)
    REQUIRE(net.propose(1, "e" + std::to_string(i)));
  auto ref = log_terms(net.at(1).storage);
  CHECK(ref.size() == 11);
  for (auto id : net.ids()) {
    CHECK(log_terms(net.at(id).storage) == ref);
    CHECK(net.node(id).commit_index() == idx(11));
  }
}

TEST_CASE("log matching: an append whose previous entry does not match is rejected") {
  memory_storage s{conf_state{{nid(1), nid(2)}, {}}};
  REQUIRE(s.append({entry{.term = tid(1), .index = idx(1)}}).has_value());
  config c;
  c.id = nid(2);
  raw_node n{c, s};
  REQUIRE(n.step(message{.type = message_type::append,
                         .to = nid(2),
                         .from = nid(1),
                         .term = tid(2),
                         .log_term = tid(2),
                         .index = idx(1),
                         .entries = {entry{.term = tid(2), .index = idx(2)}}})
              .has_value());
  auto rd = n.ready();
  CHECK(rd.entries.empty());
  auto* resp = find_msg(rd.persisted_messages, message_type::append_resp);
  REQUIRE(resp != nullptr);
  CHECK(resp->reject);
  CHECK(resp->reject_hint == idx(1));
  CHECK(resp->log_term == tid(1));
}

TEST_CASE("append-only leader (§5.3): a leader never overwrites or deletes its own entries") {
  network net({1, 2, 3});
  net.elect(1);
  REQUIRE(net.propose(1, "a"));
  // Node 3 becomes leader of term 2 while 1 is away; 1 keeps appending in its stale term.
  net.isolate(1);
  REQUIRE(net.node(1).propose("stale1"));
  REQUIRE(net.node(1).propose("stale2"));
  net.settle();
  net.elect(3);
  REQUIRE(net.node(3).role() == role::leader);
  auto before = log_terms(net.at(3).storage);
  // Node 1 rejoins with a longer, conflicting log: the leader keeps its own.
  net.heal();
  REQUIRE(net.propose(3, "b"));
  net.tick_all(3);
  auto after = log_terms(net.at(3).storage);
  CHECK(is_prefix(before, after));
  CHECK(log_terms(net.at(1).storage) == after);
  CHECK(std::find(net.at(1).applied.begin(), net.at(1).applied.end(), "stale1") ==
        net.at(1).applied.end());
}

TEST_CASE("leader completeness (§5.4): committed entries survive into every later leader") {
  network net({1, 2, 3, 4, 5});
  net.elect(1);
  // Commit "x" on 1, 2, 3 only.
  net.cut(1, 4);
  net.cut(1, 5);
  REQUIRE(net.propose(1, "x"));
  REQUIRE(net.node(1).commit_index() == idx(2));
  net.heal();
  net.isolate(1);
  // Node 4 lacks "x": 2 and 3 refuse, so it cannot gather three votes.
  net.elect(4);
  CHECK(net.node(4).role() != role::leader);
  net.elect(2);
  REQUIRE(net.node(2).role() == role::leader);
  auto log2 = net.at(2).storage.entries(idx(1), idx(3), UINT64_MAX);
  REQUIRE(log2.has_value());
  CHECK((*log2)[1].data == "x");
  REQUIRE(net.propose(2, "y"));
  for (auto id : {2, 3, 4, 5})
    CHECK(net.at(id).applied == std::vector<std::string>{"x", "y"});
}

TEST_CASE("Figure 7: a new leader brings every kind of divergent follower in line") {
  network net({1, 2, 3, 4, 5, 6, 7});
  // Leader's log and followers (a)-(f) of Figure 7; everyone last voted in term 7.
  std::vector<std::uint64_t> leader{1, 1, 1, 4, 4, 5, 5, 6, 6, 6};
  net.preload(1, leader, 7);
  net.preload(2, {1, 1, 1, 4, 4, 5, 5, 6, 6}, 7);           // (a) missing one
  net.preload(3, {1, 1, 1, 4}, 7);                          // (b) missing many
  net.preload(4, {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6}, 7);     // (c) extra uncommitted
  net.preload(5, {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7}, 7);  // (d) extra of a later term
  net.preload(6, {1, 1, 1, 4, 4, 4, 4}, 7);                 // (e) missing and extra
  net.preload(7, {1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3}, 7);     // (f) missing and extra
  net.elect(1);
  REQUIRE(net.node(1).role() == role::leader);
  CHECK(net.node(1).term() == tid(8));
  REQUIRE(net.propose(1, "z"));
  auto expected = log_terms(net.at(1).storage);
  REQUIRE(expected.size() == 12);
  CHECK(expected[10].second == 8);
  for (auto id : net.ids())
    CHECK(log_terms(net.at(id).storage) == expected);
  CHECK(net.node(5).commit_index() == idx(12));
}

TEST_CASE("Figure 8 (§5.4.2): an entry of an earlier term is not committed by counting") {
  net_options o;
  o.max_size_per_msg = 0;  // one entry per append, so index 2 can travel without index 3
  network net({1, 2, 3, 4, 5}, o);
  // (b)/(c): S1 replicated index 2 (term 2) to S2 only, S5 holds index 2 of term 3.
  net.preload(1, {1, 2}, 3, 1);
  net.preload(2, {1, 2}, 3, 1);
  net.preload(3, {1}, 3, 1);
  net.preload(4, {1}, 3, 1);
  net.preload(5, {1, 3}, 3, 1);
  // Entries of S1's new term (4) never get accepted: they are dropped on their way to any
  // server that holds index 2 and would append them; index 2 itself reaches S3 and S4.
  net.drop_if = [&net](const message& m) {
    return m.type == message_type::append &&
           net.at(m.to.value()).storage.last_index().value() >= idx(2) &&
           std::any_of(m.entries.begin(), m.entries.end(),
                       [](const entry& e) { return e.term == tid(4); });
  };
  net.elect(1);
  REQUIRE(net.node(1).role() == role::leader);
  REQUIRE(net.node(1).term() == tid(4));
  net.tick(1, 5);
  REQUIRE(net.at(3).storage.term(idx(2)).value() == tid(2));
  REQUIRE(net.at(4).storage.term(idx(2)).value() == tid(2));
  // Index 2 is on four of five servers, but it is of term 2: not committed.
  CHECK(net.node(1).commit_index() == idx(1));
  CHECK(net.at(1).applied_entries.size() == 1);  // only index 1, committed before

  SUBCASE("it would have been unsafe: S5 can still win and overwrite index 2") {
    net.drop_if = nullptr;
    // S5's last entry (2, term 3) is more up to date than (2, term 2) on S2-S4.
    net.isolate(1);
    net.elect(5);
    REQUIRE(net.node(5).role() == role::leader);
    REQUIRE(net.propose(5, "s5"));
    CHECK(net.at(2).storage.term(idx(2)).value() == tid(3));
    CHECK(net.at(3).storage.term(idx(2)).value() == tid(3));
  }
  SUBCASE("once an entry of term 4 commits, index 2 commits with it") {
    net.drop_if = nullptr;
    net.tick(1, 3);
    CHECK(net.node(1).commit_index() == idx(3));
    CHECK(net.at(1).applied_entries.size() == 3);
  }
}

TEST_CASE("fast back-off: one rejection skips a whole conflicting term") {
  network net({1, 2, 3});
  std::vector<std::uint64_t> leader{1};
  std::vector<std::uint64_t> stale{1};
  for (int i = 0; i < 50; ++i) {
    leader.push_back(3);
    stale.push_back(2);
  }
  net.preload(1, leader, 3);
  net.preload(2, stale, 3);
  net.preload(3, leader, 3);
  int rejections = 0;
  net.on_deliver = [&](const message& m) {
    if (m.type == message_type::append_resp && m.reject && m.from == nid(2)) ++rejections;
  };
  net.elect(1);
  REQUIRE(net.node(1).role() == role::leader);
  REQUIRE(net.propose(1, "x"));
  CHECK(log_terms(net.at(2).storage) == log_terms(net.at(1).storage));
  // Probing one entry at a time would take 50 rejections.
  CHECK(rejections <= 2);
}

TEST_CASE("flow control: at most max_inflight_msgs unacknowledged appends per follower") {
  net_options o;
  o.max_inflight_msgs = 3;
  network net({1, 2, 3}, o);
  net.elect(1);
  REQUIRE(net.propose(1, "warmup"));  // followers reach replicate state
  int appends_to_2 = 0;
  net.drop_if = [](const message& m) {
    return m.type == message_type::append_resp && m.from == nid(2);
  };
  net.on_deliver = [&](const message& m) {
    if (m.type == message_type::append && m.to == nid(2) && !m.entries.empty()) ++appends_to_2;
  };
  for (int i = 0; i < 10; ++i)
    REQUIRE(net.propose(1, "p" + std::to_string(i)));
  CHECK(appends_to_2 == 3);
  auto st = net.node(1).status();
  auto pr = std::find_if(st.progress.begin(), st.progress.end(),
                         [](const progress_status& p) { return p.id == nid(2); });
  REQUIRE(pr != st.progress.end());
  CHECK(pr->paused);
  CHECK(pr->inflight == 3);
  // Node 3 was never throttled, so everything committed.
  CHECK(net.at(3).applied.size() == 11);
  net.drop_if = nullptr;
  net.tick_all(3);
  CHECK(net.at(2).applied.size() == 11);
}

TEST_CASE("flow control: a follower in probe state gets one append until it answers") {
  network net({1, 2, 3});
  net.elect(1);
  net.node(1).report_unreachable(nid(3));  // replicate -> probe
  int appends_to_3 = 0;
  net.drop_if = [&](const message& m) {
    if (m.to != nid(3)) return false;
    if (m.type == message_type::append) ++appends_to_3;
    return true;
  };
  for (int i = 0; i < 5; ++i)
    REQUIRE(net.propose(1, "p"));
  CHECK(appends_to_3 == 1);
  auto st = net.node(1).status();
  for (const auto& p : st.progress) {
    if (p.id != nid(3)) continue;
    CHECK(p.state == progress_state::probe);
    CHECK(p.paused);
  }
  net.heal();
  net.tick_all(5);
  CHECK(net.at(3).applied.size() == 5);
}

TEST_CASE("message size cap: appends respect max_size_per_msg") {
  net_options o;
  const std::uint64_t cap = 3 * entry_size(entry{.data = std::string(64, 'x')});
  o.max_size_per_msg = cap;
  network net({1, 2, 3}, o);
  net.elect(1);
  std::size_t max_seen = 0;
  bool oversize = false;
  net.on_deliver = [&](const message& m) {
    if (m.type != message_type::append) return;
    std::uint64_t bytes = 0;
    for (const auto& e : m.entries)
      bytes += entry_size(e);
    if (m.entries.size() > 1 && bytes > cap) oversize = true;
    max_seen = std::max(max_seen, m.entries.size());
  };
  std::vector<std::string> batch(20, std::string(64, 'x'));
  REQUIRE(net.node(1).propose_batch(batch));
  net.settle();
  CHECK_FALSE(oversize);
  CHECK(max_seen == 3);
  CHECK(net.at(2).applied.size() == 20);
}

TEST_CASE("batching: a proposal batch travels as consecutive entries in one append") {
  network net({1, 2, 3});
  net.elect(1);
  std::vector<std::size_t> sizes;
  net.on_deliver = [&](const message& m) {
    if (m.type == message_type::append && !m.entries.empty()) sizes.push_back(m.entries.size());
  };
  REQUIRE(net.node(1).propose_batch({"a", "b", "c", "d", "e"}));
  net.settle();
  REQUIRE(sizes.size() == 2);
  CHECK(sizes[0] == 5);
  CHECK(sizes[1] == 5);
  CHECK(net.at(3).applied == std::vector<std::string>{"a", "b", "c", "d", "e"});
}

TEST_CASE("uncommitted size limit: proposals beyond it are dropped") {
  net_options o;
  o.max_uncommitted_entries_size = 100;
  network net({1, 2, 3}, o);
  net.elect(1);
  net.isolate(2);
  net.isolate(3);
  CHECK(net.node(1).propose(std::string(80, 'a')).has_value());
  CHECK(net.node(1).propose(std::string(80, 'b')).error() == errc::proposal_dropped);
  net.heal();
  net.settle();
  net.tick_all(3);
  CHECK(net.node(1).propose(std::string(80, 'c')).has_value());
}

TEST_CASE("commitment: the leader tells followers the commit index with later appends") {
  network net({1, 2, 3});
  net.elect(1);
  REQUIRE(net.propose(1, "a"));
  for (auto id : {2, 3})
    CHECK(net.node(id).commit_index() == idx(2));
}

TEST_CASE("heartbeats never tell a follower to commit beyond what it is known to hold") {
  network net({1, 2, 3});
  net.elect(1);
  net.isolate(3);
  for (int i = 0; i < 3; ++i)
    REQUIRE(net.propose(1, "e"));
  net.heal();
  // Node 3 only hears heartbeats; its log stops at index 1.
  net.drop_if = [](const message& m) { return m.to == nid(3) && m.type == message_type::append; };
  net.tick(1, 3);
  CHECK(net.node(1).commit_index() == idx(4));
  CHECK(net.node(3).commit_index() == idx(1));
  net.drop_if = nullptr;
  net.tick(1, 2);
  CHECK(net.node(3).commit_index() == idx(4));
}

TEST_CASE("skip_bcast_commit: a new commit index waits for the next append or heartbeat") {
  net_options opts;
  opts.skip_bcast_commit = true;
  network net({1, 2, 3}, opts);
  net.elect(1);
  int appends = 0;
  net.on_deliver = [&](const message& m) {
    if (m.type == message_type::append) ++appends;
  };
  REQUIRE(net.propose(1, "a"));
  // One append per follower carries the entry; none follows to announce its commit.
  CHECK(appends == 2);
  CHECK(net.node(1).commit_index() == idx(2));
  for (auto id : {2, 3}) {
    CHECK(net.node(id).commit_index() < idx(2));
    CHECK(net.at(id).applied.empty());
  }
  // The next append carries the commit of the entry before it.
  REQUIRE(net.propose(1, "b"));
  for (auto id : {2, 3})
    CHECK(net.at(id).applied == std::vector<std::string>{"a"});
  // A heartbeat carries the rest.
  net.tick(1);
  for (auto id : {2, 3}) {
    CHECK(net.node(id).commit_index() == idx(3));
    CHECK(net.at(id).applied == std::vector<std::string>{"a", "b"});
  }
}

TEST_CASE("skip_bcast_commit: broadcast_commit announces a new commit index at once") {
  net_options opts;
  opts.skip_bcast_commit = true;
  network net({1, 2, 3}, opts);
  net.elect(1);
  REQUIRE(net.propose(1, "a"));
  for (auto id : {2, 3})
    REQUIRE(net.at(id).applied.empty());
  // A follower's call changes nothing.
  net.node(2).broadcast_commit();
  net.settle();
  for (auto id : {2, 3})
    CHECK(net.at(id).applied.empty());
  net.node(1).broadcast_commit();
  net.settle();
  for (auto id : {2, 3})
    CHECK(net.at(id).applied == std::vector<std::string>{"a"});
}

TEST_CASE("skip_bcast_commit: a pending membership change is announced at once") {
  net_options opts;
  opts.skip_bcast_commit = true;
  network net({1, 2, 3}, opts);
  net.elect(1);
  REQUIRE(net.node(1)
              .propose_conf_change(
                  conf_change{.type = conf_change_type::add_learner, .node_id = nid(4)})
              .has_value());
  net.settle();
  // Each member takes the change into effect when it applies it: followers learn its commit
  // without waiting for a heartbeat.
  for (auto id : {2, 3})
    CHECK(net.node(id).commit_index() == net.node(1).commit_index());
}
