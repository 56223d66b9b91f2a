#include <doctest/doctest.h>

#include "storage/store.hpp"
#include "test_support.hpp"

using namespace rdb;
using namespace rdb::storage;
using namespace rdb::storage::test;

namespace {

region_local_state make_region(std::uint64_t id, std::string start, std::string end) {
  region_local_state rs;
  rs.region.id = region_id{id};
  rs.region.start_key = std::move(start);
  rs.region.end_key = std::move(end);
  rs.region.epoch = {3, 4};
  rs.region.peers = {{peer_id{id * 10 + 1}, store_id{1}, peer_role::voter},
                     {peer_id{id * 10 + 2}, store_id{2}, peer_role::learner}};
  return rs;
}

}  // namespace

TEST_CASE("absent region records read back as nothing") {
  temp_dir dir;
  auto s = open_store(dir.path());
  auto view = take(s->read());
  CHECK_FALSE(take(view.load_hard_state(region_id{1})).has_value());
  CHECK_FALSE(take(view.load_apply_state(region_id{1})).has_value());
  CHECK_FALSE(take(view.load_region_state(region_id{1})).has_value());
  CHECK(take(view.approximate_usage(region_id{1})).bytes == 0);
  CHECK(take(view.regions()).empty());
}

TEST_CASE("hard state, apply state and region state round-trip and persist") {
  temp_dir dir;
  raft::hard_state hs{raft::term_id{5}, raft::node_id{12}, raft::log_index{40}};
  apply_state as{raft::log_index{38}, raft::log_index{20}, raft::term_id{4}};
  auto rs = make_region(1, "", "m");
  rs.state = peer_state::applying;
  {
    auto s = open_store(dir.path());
    write_batch b;
    b.set_hard_state(region_id{1}, hs);
    b.set_apply_state(region_id{1}, as);
    b.set_region_state(region_id{1}, rs);
    take(s->write(b));
  }
  auto s = open_store(dir.path());
  auto view = take(s->read());
  CHECK(take(view.load_hard_state(region_id{1})) == std::optional{hs});
  CHECK(take(view.load_apply_state(region_id{1})) == std::optional{as});
  CHECK(take(view.load_region_state(region_id{1})) == std::optional{rs});
  CHECK(take(view.first_index(region_id{1})) == raft::log_index{21});
  CHECK(take(view.term(region_id{1}, raft::log_index{20})) == raft::term_id{4});
}

TEST_CASE("regions lists every region with a local state in id order") {
  temp_dir dir;
  auto s = open_store(dir.path());
  write_batch b;
  b.set_region_state(region_id{9}, make_region(9, "m", ""));
  b.set_region_state(region_id{2}, make_region(2, "", "m"));
  b.set_hard_state(region_id{5}, raft::hard_state{});  // no local state: not listed
  take(s->write(b));
  auto view = take(s->read());
  CHECK(take(view.region_ids()) == std::vector{region_id{2}, region_id{5}, region_id{9}});
  auto regions = take(view.regions());
  REQUIRE(regions.size() == 2);
  CHECK(regions[0] == make_region(2, "", "m"));
  CHECK(regions[1] == make_region(9, "m", ""));
}

TEST_CASE("destroying a region removes its log and every state record") {
  temp_dir dir;
  auto s = open_store(dir.path());
  write_batch b;
  b.append(region_id{2}, make_entries(1, 3, 1));
  b.set_hard_state(region_id{2}, raft::hard_state{raft::term_id{1}, {}, raft::log_index{3}});
  b.set_region_state(region_id{2}, make_region(2, "", ""));
  b.put(region_id{2}, "k", "v");
  b.set_region_state(region_id{3}, make_region(3, "", ""));
  take(s->write(b));
  CHECK(take(take(s->read()).approximate_usage(region_id{2})).bytes == 2);
  write_batch destroy;
  destroy.destroy_region(region_id{2});
  take(s->write(destroy));
  auto view = take(s->read());
  CHECK(take(view.last_index(region_id{2})) == raft::log_index{0});
  CHECK_FALSE(take(view.load_hard_state(region_id{2})).has_value());
  CHECK(take(view.approximate_usage(region_id{2})).bytes == 0);
  auto regions = take(view.regions());
  REQUIRE(regions.size() == 1);
  CHECK(regions[0].region.id == region_id{3});
}

TEST_CASE("state operations without a region or under the wrong region are refused") {
  temp_dir dir;
  auto s = open_store(dir.path());
  write_batch none;
  none.set_hard_state(region_id{}, raft::hard_state{});
  CHECK(code_of(s->write(none)) == errc::invalid_argument);
  write_batch wrong;
  wrong.set_region_state(region_id{2}, make_region(3, "", ""));
  CHECK(code_of(s->write(wrong)) == errc::invalid_argument);
  write_batch data;
  data.put(region_id{}, "k", "v");  // data may skip size accounting
  take(s->write(data));
  CHECK(take(take(s->read()).regions()).empty());
}

TEST_CASE("client sessions round-trip per region in client order, replace and delete") {
  temp_dir dir;
  client_session a{7, 10, 40, {10, 12, 15}, {12}};
  client_session b{3, 1, 41, {}, {}};
  client_session other{7, 99, 5, {100}, {}};
  {
    auto s = open_store(dir.path());
    write_batch w;
    w.set_region_state(region_id{2}, make_region(2, "", "m"));
    w.put_session(region_id{2}, a);
    w.put_session(region_id{2}, b);
    w.put_session(region_id{3}, other);
    take(s->write(w));
  }
  auto s = open_store(dir.path());
  CHECK(take(take(s->read()).load_client_sessions(region_id{2})) ==
        std::vector<client_session>{b, a});
  CHECK(take(take(s->read()).load_client_sessions(region_id{3})) ==
        std::vector<client_session>{other});
  // Session records are state records of their region, not regions of their own.
  CHECK(take(take(s->read()).region_ids()) == std::vector<region_id>{region_id{2}, region_id{3}});

  a.watermark = 13;
  a.applied = {15, 16};
  a.failed = {16};
  write_batch w;
  w.put_session(region_id{2}, a);
  w.del_session(region_id{2}, b.client);
  w.del_session(region_id{2}, 12345);  // absent is fine
  take(s->write(w));
  CHECK(take(take(s->read()).load_client_sessions(region_id{2})) == std::vector<client_session>{a});
}

TEST_CASE("the session index round-trips and goes with its region") {
  temp_dir dir;
  auto s = open_store(dir.path());
  CHECK(take(take(s->read()).load_session_index(region_id{2})) == raft::log_index{});
  write_batch w;
  w.set_session_index(region_id{2}, raft::log_index{77});
  w.set_session_index(region_id{3}, raft::log_index{5});
  take(s->write(w));
  CHECK(take(take(s->read()).load_session_index(region_id{2})) == raft::log_index{77});
  write_batch destroy;
  destroy.destroy_region(region_id{2});
  take(s->write(destroy));
  CHECK(take(take(s->read()).load_session_index(region_id{2})) == raft::log_index{});
  CHECK(take(take(s->read()).load_session_index(region_id{3})) == raft::log_index{5});
}

TEST_CASE("destroying a region removes its client sessions and no other region's") {
  temp_dir dir;
  auto s = open_store(dir.path());
  write_batch w;
  w.set_region_state(region_id{2}, make_region(2, "", "m"));
  w.put_session(region_id{2}, client_session{1, 0, 4, {1}, {}});
  w.put_session(region_id{2}, client_session{2, 0, 5, {1}, {}});
  w.put_session(region_id{3}, client_session{1, 0, 6, {2}, {}});
  take(s->write(w));
  write_batch destroy;
  destroy.destroy_region(region_id{2});
  take(s->write(destroy));
  auto view = take(s->read());
  CHECK(take(view.load_client_sessions(region_id{2})).empty());
  CHECK(take(view.load_client_sessions(region_id{3})).size() == 1);
}

TEST_CASE("a client session whose numbers are out of order or out of place is refused") {
  temp_dir dir;
  auto s = open_store(dir.path());
  for (auto bad : {client_session{1, 5, 9, {4}, {}}, client_session{1, 0, 9, {3, 3}, {}},
                   client_session{1, 0, 9, {4, 2}, {}}, client_session{1, 0, 9, {4, 5}, {3}},
                   client_session{1, 0, 9, {4, 5}, {5, 4}}}) {
    write_batch w;
    w.put_session(region_id{2}, bad);
    CHECK(code_of(s->write(w)) == errc::invalid_argument);
  }
  CHECK(take(take(s->read()).load_client_sessions(region_id{2})).empty());
}
