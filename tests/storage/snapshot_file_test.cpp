// Region snapshot files: what is written is read back whole, and any damage is refused.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "storage/snapshot_file.hpp"
#include "test_support.hpp"

using namespace rdb;
using namespace rdb::storage;
using namespace rdb::storage::test;

namespace {

snapshot_contents sample() {
  snapshot_contents c;
  c.region.region.id = region_id{7};
  c.region.region.start_key = "b";
  c.region.region.end_key = "q";
  c.region.region.epoch = {3, 2};
  c.region.region.peers = {{peer_id{1}, store_id{1}, peer_role::voter},
                           {peer_id{2}, store_id{2}, peer_role::learner}};
  c.applied = raft::log_index{120};
  c.term = raft::term_id{4};
  c.data = {{"b", ""}, {"c", std::string(5000, 'x')}, {std::string(600, 'k'), "long key"}};
  c.sessions = {{1, 3, 100, {3, 5}, {5}}, {9, 0, 110, {}, {}}};
  return c;
}

snapshot_file_info write(const std::string& path, const snapshot_contents& c) {
  auto w = snapshot_writer::create(path, c.region, c.applied, c.term);
  REQUIRE(w.has_value());
  for (const auto& p : c.data)
    REQUIRE(w->pair(p.key, p.value).has_value());
  for (const auto& s : c.sessions)
    REQUIRE(w->session(s).has_value());
  auto info = w->finish();
  REQUIRE(info.has_value());
  return *info;
}

}  // namespace

TEST_CASE("snapshot file: written records are read back as they were") {
  temp_dir dir;
  auto path = dir.path() + "/a.snap";
  auto info = write(path, sample());
  CHECK(info.keys == 3);
  CHECK(info.bytes == std::filesystem::file_size(path));
  auto back = read_snapshot_file(path);
  REQUIRE_MESSAGE(back.has_value(), back.error().message);
  CHECK(*back == sample());
  auto checked = verify_snapshot_file(path);
  REQUIRE(checked.has_value());
  CHECK(checked->crc == info.crc);
  CHECK(checked->bytes == info.bytes);
}

TEST_CASE("snapshot file: an empty region is a valid snapshot") {
  temp_dir dir;
  auto c = sample();
  c.data.clear();
  c.sessions.clear();
  write(dir.path() + "/e.snap", c);
  auto back = read_snapshot_file(dir.path() + "/e.snap");
  REQUIRE(back.has_value());
  CHECK(*back == c);
}

TEST_CASE("snapshot file: a flipped byte, a cut tail or a missing file is refused") {
  temp_dir dir;
  auto path = dir.path() + "/a.snap";
  auto info = write(path, sample());
  SUBCASE("flipped byte in the data") {
    std::fstream f{path, std::ios::in | std::ios::out | std::ios::binary};
    f.seekp(static_cast<std::streamoff>(info.bytes / 2));
    f.put('\x5a');
    f.close();
    auto r = read_snapshot_file(path);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::storage_corrupt);
    CHECK_FALSE(verify_snapshot_file(path).has_value());
  }
  SUBCASE("cut tail") {
    std::filesystem::resize_file(path, info.bytes - 10);
    auto r = read_snapshot_file(path);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::storage_corrupt);
  }
  SUBCASE("missing") {
    auto r = read_snapshot_file(dir.path() + "/none.snap");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::io_error);
  }
}
