#include <doctest/doctest.h>

#include <algorithm>

#include "pd/cluster_state.hpp"
#include "pd/memory_meta_store.hpp"
#include "test_support.hpp"

namespace rdb::pd::test {

namespace {

struct fixture {
  memory_meta_store ms;
  cluster_state cs = take(cluster_state::open(ms));
  std::vector<storage::region_meta> metas = take(cs.bootstrap(make_layout({"g", "p"}, 3, 4)));

  const storage::region_meta& middle() const { return metas[1]; }

  /// A store of the layout without a replica of `m`.
  store_id spare_store(const storage::region_meta& m) const {
    for (const auto& s : cs.stores())
      if (std::ranges::find(m.peers, s.id, &storage::region_peer::store) == m.peers.end())
        return s.id;
    FAIL("every store has a replica");
    return store_id{};
  }

  directive add_learner(const storage::region_meta& m) {
    directive d;
    d.kind = directive_kind::add_learner;
    d.region = m.id;
    d.epoch = m.epoch;
    d.peer = {take(cs.alloc_ids(1)).peer(0), spare_store(m), storage::peer_role::learner};
    return d;
  }
};

}  // namespace

TEST_CASE("directives: refused unless they fit PD's current view of the region") {
  memory_meta_store ms;
  auto fresh = take(cluster_state::open(ms));
  CHECK(code_of(fresh.push_directive(directive{})) == errc::not_bootstrapped);
  fixture f;
  auto d = f.add_learner(f.middle());
  auto unknown = d;
  unknown.region = region_id{99999};
  CHECK(code_of(f.cs.push_directive(unknown)) == errc::unknown_region);
  auto old_epoch = d;
  old_epoch.epoch.conf_ver = 0;
  auto r = f.cs.push_directive(old_epoch);
  CHECK(code_of(r) == errc::stale_epoch);
  CHECK(r.error().current == f.middle());
  auto none = d;
  none.kind = directive_kind::none;
  CHECK(code_of(f.cs.push_directive(none)) == errc::invalid_argument);
  auto existing = d;
  existing.peer = f.middle().peers[0];
  existing.peer.role = storage::peer_role::learner;
  CHECK(code_of(f.cs.push_directive(existing)) == errc::invalid_argument);
  auto promote_voter = d;
  promote_voter.kind = directive_kind::promote_learner;
  promote_voter.peer = f.middle().peers[1];
  CHECK(code_of(f.cs.push_directive(promote_voter)) == errc::invalid_argument);
  auto bad_split = d;
  bad_split.kind = directive_kind::split;
  bad_split.split = split_ids{region_id{99}, {peer_id{100}}};
  CHECK(code_of(f.cs.push_directive(bad_split)) == errc::invalid_argument);
  CHECK_FALSE(f.cs.pending_directive(f.middle().id).has_value());
}

TEST_CASE("directives: ride heartbeats at their epoch, dropped once the epoch moves") {
  fixture f;
  auto d = f.add_learner(f.middle());
  take(f.cs.push_directive(d));
  CHECK(take(f.cs.on_region_heartbeat(heartbeat_of(f.metas[0]))).next == directive{});
  CHECK(take(f.cs.on_region_heartbeat(heartbeat_of(f.middle()))).next == d);
  // A lost response costs nothing: the next heartbeat carries the directive again.
  CHECK(take(f.cs.on_region_heartbeat(heartbeat_of(f.middle()))).next == d);
  auto with_learner = f.middle();
  with_learner.peers.push_back(d.peer);
  ++with_learner.epoch.conf_ver;
  CHECK(take(f.cs.on_region_heartbeat(heartbeat_of(with_learner))).next == directive{});
  CHECK_FALSE(f.cs.pending_directive(f.middle().id).has_value());
  // The next step: promote the learner, against the new epoch.
  directive promote;
  promote.kind = directive_kind::promote_learner;
  promote.region = with_learner.id;
  promote.epoch = with_learner.epoch;
  promote.peer = d.peer;
  take(f.cs.push_directive(promote));
  CHECK(take(f.cs.on_region_heartbeat(heartbeat_of(with_learner))).next == promote);
}

TEST_CASE("directives: a leader transfer is done once the target leads") {
  fixture f;
  directive d;
  d.kind = directive_kind::transfer_leader;
  d.region = f.middle().id;
  d.epoch = f.middle().epoch;
  d.peer = f.middle().peers[2];
  take(f.cs.push_directive(d));
  CHECK(take(f.cs.on_region_heartbeat(heartbeat_of(f.middle()))).next == d);
  auto hb = heartbeat_of(f.middle());
  hb.leader = d.peer.id;
  CHECK(take(f.cs.on_region_heartbeat(hb)).next == directive{});
  CHECK_FALSE(f.cs.pending_directive(d.region).has_value());
}

TEST_CASE("directives: a region that leaves the table takes its directive along") {
  fixture f;
  auto ids = take(f.cs.ask_split(f.middle()));
  directive d;
  d.kind = directive_kind::split;
  d.region = f.middle().id;
  d.epoch = f.middle().epoch;
  d.split = ids;
  d.split_key = "k";
  take(f.cs.push_directive(d));
  auto child = f.middle();
  child.id = ids.new_region;
  child.start_key = "k";
  child.epoch.version = 2;
  for (std::size_t i = 0; i < child.peers.size(); ++i)
    child.peers[i].id = ids.new_peers[i];
  take(f.cs.on_region_heartbeat(heartbeat_of(child)));
  CHECK_FALSE(f.cs.pending_directive(d.region).has_value());
}

}  // namespace rdb::pd::test
