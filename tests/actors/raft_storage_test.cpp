#include <doctest/doctest.h>

#include <memory>

#include "actors/region/raft_storage.hpp"
#include "actors/store/region_bootstrap.hpp"
#include "storage/engines.hpp"
#include "tests/support/temp_dir.hpp"

using namespace rdb;

namespace {

storage::store_options options() {
  storage::store_options o;
  o.cluster = cluster_id{7};
  o.store = store_id{1};
  o.create_if_missing = true;
  return o;
}

storage::engines open_store(const std::string& dir) {
  auto st = storage::engines::open(dir, options());
  REQUIRE(st.has_value());
  return std::move(*st);
}

storage::region_meta meta_of(region_id id) {
  storage::region_meta m;
  m.id = id;
  m.epoch = {1, 1};
  m.peers = {{peer_id{11}, store_id{1}, storage::peer_role::voter},
             {peer_id{12}, store_id{2}, storage::peer_role::voter},
             {peer_id{13}, store_id{3}, storage::peer_role::learner}};
  return m;
}

std::vector<raft::entry> entries(std::uint64_t lo, std::uint64_t hi, std::uint64_t term) {
  std::vector<raft::entry> out;
  for (auto i = lo; i <= hi; ++i)
    out.push_back(raft::entry{raft::term_id{term}, raft::log_index{i}, raft::entry_type::normal,
                              "e" + std::to_string(i)});
  return out;
}

/// Writes both halves of `task`, the log half first, as the region peer has them written.
void write(const storage::engines& st, write_task task) {
  auto apply = split_apply_half(task);
  storage::write_batch log_half;
  add_write_task(log_half, task);
  if (!log_half.empty()) REQUIRE(st.raft->write(log_half).has_value());
  storage::write_batch apply_half;
  add_write_task(apply_half, apply);
  if (!apply_half.empty()) REQUIRE(st.kv->write(apply_half).has_value());
}

void found(const storage::engines& st, region_id r) {
  storage::write_batch log_half;
  add_founding_state(log_half, meta_of(r), write_stage::log);
  REQUIRE(st.raft->write(log_half).has_value());
  storage::write_batch apply_half;
  add_founding_state(apply_half, meta_of(r), write_stage::apply);
  REQUIRE(st.kv->write(apply_half).has_value());
}

std::unique_ptr<raft_storage> open_log(const storage::engines& st, region_id r) {
  auto rs = raft_storage::open(st, r);
  REQUIRE(rs.has_value());
  return std::move(*rs);
}

}  // namespace

TEST_CASE("raft storage: a founded region starts empty at index 5, term 5") {
  test::temp_dir dir;
  auto st = open_store(dir.path());
  found(st, region_id{1});
  auto log = open_log(st, region_id{1});
  CHECK(log->first_index().value() == raft::log_index{6});
  CHECK(log->last_index().value() == raft::log_index{5});
  CHECK(log->term(raft::log_index{5}).value() == raft::term_id{5});
  CHECK(log->term(raft::log_index{4}).error() == raft::errc::compacted);
  CHECK(log->term(raft::log_index{6}).error() == raft::errc::unavailable);
  auto init = log->initial_state().value();
  CHECK(init.hard == raft::hard_state{raft::term_id{5}, raft::node_id{}, raft::log_index{5}});
  CHECK(init.conf.voters == std::vector<raft::node_id>{raft::node_id{11}, raft::node_id{12}});
  CHECK(init.conf.learners == std::vector<raft::node_id>{raft::node_id{13}});
  CHECK(log->snapshot().error() == raft::errc::snapshot_temporarily_unavailable);
  CHECK(log->disk_reads() == 0);
}

TEST_CASE("raft storage: unknown regions are refused") {
  test::temp_dir dir;
  auto st = open_store(dir.path());
  auto rs = raft_storage::open(st, region_id{9});
  REQUIRE_FALSE(rs.has_value());
  CHECK(rs.error().code == storage::errc::not_found);
}

TEST_CASE("raft storage: entries and terms after appends, from the cache where it can") {
  test::temp_dir dir;
  auto st = open_store(dir.path());
  found(st, region_id{1});
  found(st, region_id{2});
  auto log = open_log(st, region_id{1});
  write_task t;
  t.region = region_id{1};
  t.entries = entries(6, 20, 6);
  write(st, t);
  // Another region's log interleaves in the same database and must not show up.
  write_task other;
  other.region = region_id{2};
  other.entries = entries(6, 30, 9);
  write(st, other);
  log->on_persisted(t);
  CHECK(log->last_index().value() == raft::log_index{20});
  CHECK(log->term(raft::log_index{20}).value() == raft::term_id{6});
  CHECK(log->term(raft::log_index{5}).value() == raft::term_id{5});
  CHECK(log->disk_reads() == 0);
  CHECK(log->term(raft::log_index{10}).value() == raft::term_id{6});
  auto got = log->entries(raft::log_index{6}, raft::log_index{21}, UINT64_MAX).value();
  CHECK(got == entries(6, 20, 6));
  // What this replica persisted is served from memory; a fresh replica reads it from LMDB.
  CHECK(log->disk_reads() == 0);
  CHECK(log->cached_entries() == 15);
  auto fresh = open_log(st, region_id{1});
  CHECK(fresh->term(raft::log_index{10}).value() == raft::term_id{6});
  CHECK(fresh->entries(raft::log_index{6}, raft::log_index{21}, UINT64_MAX).value() == got);
  CHECK(fresh->disk_reads() == 2);
  // A byte budget still returns at least one entry.
  CHECK(log->entries(raft::log_index{8}, raft::log_index{21}, 0).value().size() == 1);
  CHECK(log->entries(raft::log_index{5}, raft::log_index{7}, UINT64_MAX).error() ==
        raft::errc::compacted);
  CHECK(log->entries(raft::log_index{6}, raft::log_index{22}, UINT64_MAX).error() ==
        raft::errc::unavailable);
  // A conflicting suffix is replaced; the cache follows the task.
  write_task conflict;
  conflict.region = region_id{1};
  conflict.entries = entries(15, 16, 7);
  conflict.has_hard_state = true;
  conflict.hard_state = raft::hard_state{raft::term_id{7}, raft::node_id{12}, raft::log_index{14}};
  write(st, conflict);
  log->on_persisted(conflict);
  CHECK(log->last_index().value() == raft::log_index{16});
  CHECK(log->term(raft::log_index{16}).value() == raft::term_id{7});
  CHECK(log->term(raft::log_index{14}).value() == raft::term_id{6});
  CHECK(log->initial_state().value().hard.vote == raft::node_id{12});
  CHECK(log->entries(raft::log_index{13}, raft::log_index{17}, UINT64_MAX).value().back() ==
        entries(16, 16, 7).front());
  // Applied entries leave the cache.
  write_task apply;
  apply.region = region_id{1};
  apply.has_apply_state = true;
  apply.apply_state =
      storage::apply_state{raft::log_index{14}, raft::log_index{5}, raft::term_id{5}};
  write(st, apply);
  log->on_persisted(apply);
  CHECK(log->cached_entries() == 2);
  CHECK(log->entries(raft::log_index{15}, raft::log_index{17}, UINT64_MAX).value() ==
        entries(15, 16, 7));
  CHECK(log->disk_reads() == 0);
  CHECK(log->entries(raft::log_index{13}, raft::log_index{15}, UINT64_MAX).value() ==
        entries(13, 14, 6));
  CHECK(log->disk_reads() == 1);
}

TEST_CASE("raft storage: after compaction and after a restart") {
  test::temp_dir dir;
  {
    auto st = open_store(dir.path());
    found(st, region_id{1});
    write_task t;
    t.region = region_id{1};
    t.entries = entries(6, 20, 6);
    t.has_hard_state = true;
    t.hard_state = raft::hard_state{raft::term_id{6}, raft::node_id{11}, raft::log_index{18}};
    t.has_apply_state = true;
    t.apply_state = storage::apply_state{raft::log_index{18}, raft::log_index{5}, raft::term_id{5}};
    write(st, t);
    storage::write_batch b;
    b.compact_log(region_id{1}, raft::log_index{12});
    // Compaction is a log matter: it changes only the raft environment.
    REQUIRE(st.raft->write(b).has_value());
    auto log = open_log(st, region_id{1});
    CHECK(log->first_index().value() == raft::log_index{13});
    CHECK(log->term(raft::log_index{12}).value() == raft::term_id{6});
    CHECK(log->term(raft::log_index{11}).error() == raft::errc::compacted);
    CHECK(log->entries(raft::log_index{12}, raft::log_index{14}, UINT64_MAX).error() ==
          raft::errc::compacted);
    CHECK(log->entries(raft::log_index{13}, raft::log_index{21}, UINT64_MAX).value() ==
          entries(13, 20, 6));
  }
  auto st = open_store(dir.path());
  auto log = open_log(st, region_id{1});
  CHECK(log->first_index().value() == raft::log_index{13});
  CHECK(log->last_index().value() == raft::log_index{20});
  CHECK(log->apply_state().applied_index == raft::log_index{18});
  CHECK(log->initial_state().value().hard.commit == raft::log_index{18});
  CHECK(log->entries(raft::log_index{19}, raft::log_index{21}, UINT64_MAX).value() ==
        entries(19, 20, 6));
}

TEST_CASE("raft storage: a region founded only in the log environment is not founded") {
  test::temp_dir dir;
  auto st = open_store(dir.path());
  storage::write_batch b;
  add_founding_state(b, meta_of(region_id{1}), write_stage::log);
  REQUIRE(st.raft->write(b).has_value());
  auto rs = raft_storage::open(st, region_id{1});
  REQUIRE_FALSE(rs.has_value());
  CHECK(rs.error().code == storage::errc::not_found);
}

TEST_CASE("raft storage: an applied index past the log is refused as corrupt") {
  test::temp_dir dir;
  auto st = open_store(dir.path());
  found(st, region_id{1});
  // Only the kv environment's half: the log half that should have come first is missing.
  write_task apply;
  apply.region = region_id{1};
  apply.stage = write_stage::apply;
  apply.has_apply_state = true;
  apply.apply_state =
      storage::apply_state{raft::log_index{9}, raft::log_index{5}, raft::term_id{5}};
  storage::write_batch b;
  add_write_task(b, apply);
  REQUIRE(st.kv->write(b).has_value());
  auto rs = raft_storage::open(st, region_id{1});
  REQUIRE_FALSE(rs.has_value());
  CHECK(rs.error().code == storage::errc::storage_corrupt);
}

TEST_CASE("raft storage: a commit index on disk behind the applied one opens at the applied one") {
  test::temp_dir dir;
  auto st = open_store(dir.path());
  found(st, region_id{1});
  // Entries 6-9 with the commit at 6 in the log; the apply of 6-8 after a commit that was
  // never written on its own (a ready with nothing else to write).
  write_task log_half;
  log_half.region = region_id{1};
  log_half.entries = entries(6, 9, 6);
  log_half.has_hard_state = true;
  log_half.hard_state = raft::hard_state{raft::term_id{6}, peer_id{11}, raft::log_index{6}};
  write(st, log_half);
  write_task apply;
  apply.region = region_id{1};
  apply.has_apply_state = true;
  apply.apply_state =
      storage::apply_state{raft::log_index{8}, raft::log_index{5}, raft::term_id{5}};
  write(st, apply);
  auto log = raft_storage::open(st, region_id{1});
  REQUIRE(log.has_value());
  auto state = (*log)->initial_state().value();
  CHECK(state.hard.commit == raft::log_index{8});
  CHECK(state.hard.term == raft::term_id{6});
  CHECK(state.hard.vote == peer_id{11});
  CHECK((*log)->apply_state().applied_index == raft::log_index{8});
}

TEST_CASE("raft storage: a compaction stays when a ready taken before it is persisted") {
  test::temp_dir dir;
  auto st = open_store(dir.path());
  found(st, region_id{1});
  write_task log_half;
  log_half.region = region_id{1};
  log_half.entries = entries(6, 12, 6);
  write(st, log_half);
  auto log = open_log(st, region_id{1});
  // What the replica had applied, as its view knows it once the log half is acknowledged.
  write_task applied;
  applied.region = region_id{1};
  applied.has_apply_state = true;
  applied.apply_state =
      storage::apply_state{raft::log_index{10}, raft::log_index{5}, raft::term_id{5}};
  log->on_persisted(applied);
  REQUIRE(log->compact(raft::log_index{9}));
  CHECK(log->first_index().value() == raft::log_index{10});
  // A ready built before the compaction carries the truncated index of its time.
  applied.apply_state.applied_index = raft::log_index{11};
  log->on_persisted(applied);
  CHECK(log->first_index().value() == raft::log_index{10});
  CHECK(log->term(raft::log_index{9}).value() == raft::term_id{6});
  CHECK(log->term(raft::log_index{8}).error() == raft::errc::compacted);
  // Nothing past the applied index or the log goes, and nothing already gone twice.
  CHECK_FALSE(log->compact(raft::log_index{12}));
  CHECK_FALSE(log->compact(raft::log_index{9}));
}
