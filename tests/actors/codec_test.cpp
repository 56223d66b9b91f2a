#include <doctest/doctest.h>

#include "actors/common/errors.hpp"
#include "actors/region/command_codec.hpp"

using namespace rdb;

namespace {

command sample_put() {
  command c;
  c.kind = command_kind::put;
  c.proposer = peer_id{11};
  c.tag = 42;
  c.client = client_id{7};
  c.seq = 3;
  c.first_incomplete = 2;
  c.key = std::string("k\0ey", 4);
  c.value = std::string(1000, 'v');
  return c;
}

errc decode_error(std::string_view data) {
  auto r = command_codec::decode(data);
  REQUIRE_FALSE(r.has_value());
  return r.error().code;
}

}  // namespace

TEST_CASE("codec: a put survives the round trip, binary key and all") {
  auto c = sample_put();
  auto r = command_codec::decode(command_codec::encode(c));
  REQUIRE(r.has_value());
  CHECK(*r == c);
}

TEST_CASE("codec: a version 1 command, without first_incomplete, still decodes") {
  auto c = sample_put();
  auto data = command_codec::encode(c);
  // Version 1 is the same layout without the 8 bytes of first_incomplete after seq.
  data[0] = 1;
  data.erase(34, 8);
  auto r = command_codec::decode(data);
  REQUIRE(r.has_value());
  c.first_incomplete = 0;
  CHECK(*r == c);
  CHECK(command_codec::decode_origin(data) == std::pair{peer_id{11}, std::uint64_t{42}});
}

TEST_CASE("codec: the origin is read from the header alone") {
  auto data = command_codec::encode(sample_put());
  auto origin = command_codec::decode_origin(data);
  REQUIRE(origin.has_value());
  CHECK(origin->first == peer_id{11});
  CHECK(origin->second == 42);
  // A header cut short, or of an unknown version, has no origin.
  CHECK_FALSE(command_codec::decode_origin(std::string_view{data}.substr(0, 17)).has_value());
  data[0] = 9;
  CHECK_FALSE(command_codec::decode_origin(data).has_value());
}

TEST_CASE("codec: a delete and an empty key round trip") {
  command c;
  c.kind = command_kind::del;
  c.proposer = peer_id{1};
  c.tag = 1;
  auto r = command_codec::decode(command_codec::encode(c));
  REQUIRE(r.has_value());
  CHECK(*r == c);
}

TEST_CASE("codec: a peer change round trips with store and role") {
  command c;
  c.kind = command_kind::change_peer;
  c.proposer = peer_id{11};
  c.tag = 9;
  c.change = peer_change_kind::add_learner;
  c.peer = storage::region_peer{peer_id{14}, store_id{4}, storage::peer_role::learner};
  c.conf_ver = 8;
  auto r = command_codec::decode(command_codec::encode(c));
  REQUIRE(r.has_value());
  CHECK(*r == c);
}

TEST_CASE("codec: a log compaction round trips, and a torn one is refused") {
  command c;
  c.kind = command_kind::compact_log;
  c.proposer = peer_id{11};
  c.tag = 3;
  c.compact_index = 1234;
  c.compact_term = 7;
  auto bytes = command_codec::encode(c);
  auto r = command_codec::decode(bytes);
  REQUIRE(r.has_value());
  CHECK(*r == c);
  CHECK(decode_error(bytes.substr(0, bytes.size() - 1)) == errc::storage_corrupt);
}

TEST_CASE("codec: a split round trips; a peer count past the data is refused") {
  command c;
  c.kind = command_kind::split;
  c.proposer = peer_id{11};
  c.tag = 4;
  c.key = "m";
  c.new_region = region_id{2};
  c.new_peers = {peer_id{21}, peer_id{22}, peer_id{23}};
  c.conf_ver = 3;
  c.version = 5;
  c.child_bytes = 1 << 20;
  auto bytes = command_codec::encode(c);
  auto r = command_codec::decode(bytes);
  REQUIRE(r.has_value());
  CHECK(*r == c);
  CHECK(decode_error(bytes.substr(0, bytes.size() - 1)) == errc::storage_corrupt);
  // The count sits after the header (42 bytes), the key (4 + 1) and the region (8).
  auto huge = bytes;
  huge[42 + 5 + 8 + 3] = static_cast<char>(0x7f);
  CHECK(decode_error(huge) == errc::storage_corrupt);
}

TEST_CASE("codec: malformed data is refused as storage_corrupt, never misread") {
  auto good = command_codec::encode(sample_put());
  CHECK(decode_error("") == errc::storage_corrupt);
  // Every strict prefix is torn somewhere.
  for (std::size_t n = 0; n < good.size(); n += 7)
    CHECK(decode_error(std::string_view{good}.substr(0, n)) == errc::storage_corrupt);
  CHECK(decode_error(good.substr(0, good.size() - 1)) == errc::storage_corrupt);
  auto trailing = good + "x";
  CHECK(decode_error(trailing) == errc::storage_corrupt);
  auto bad_version = good;
  bad_version[0] = 3;
  CHECK(decode_error(bad_version) == errc::storage_corrupt);
  auto bad_kind = good;
  bad_kind[1] = 77;
  auto r = command_codec::decode(bad_kind);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::storage_corrupt);
  CHECK(r.error().detail.find("kind") != std::string::npos);
  // A key length that points past the end.
  auto long_key = good;
  long_key[42] = static_cast<char>(0xff);
  CHECK(decode_error(long_key) == errc::storage_corrupt);
}

TEST_CASE("codec: an unknown peer role is refused") {
  command c;
  c.kind = command_kind::change_peer;
  auto data = command_codec::encode(c);
  // The role byte sits right before the trailing conf_ver.
  data[data.size() - 9] = 9;
  CHECK(decode_error(data) == errc::storage_corrupt);
}

TEST_CASE("codec: request errors cross as caf::error of category rdb and back") {
  storage::region_peer leader{peer_id{12}, store_id{2}, storage::peer_role::voter};
  auto nl = to_error(make_not_leader(region_id{3}, leader));
  CHECK(nl.category() == error_category);
  CHECK(nl.code() == static_cast<std::uint8_t>(errc::not_leader));
  CHECK(rdb_code(nl) == errc::not_leader);
  CHECK(not_leader_hint(nl) == leader);
  CHECK_FALSE(epoch_not_match_regions(nl).has_value());
  auto back = to_request_error(nl);
  REQUIRE(back.has_value());
  CHECK(back->region == region_id{3});
  CHECK(back->leader == leader);
  storage::region_meta current;
  current.id = region_id{3};
  current.epoch = {2, 4};
  auto enm = to_error(make_epoch_not_match(current, "stale"));
  CHECK(rdb_code(enm) == errc::epoch_not_match);
  auto regions = epoch_not_match_regions(enm);
  REQUIRE(regions.has_value());
  CHECK(*regions == std::vector<storage::region_meta>{current});
  auto busy = to_error(make_request_error(errc::server_busy, region_id{3}, "full"));
  CHECK(to_request_error(busy)->detail == "full");
  // Errors of other categories are not mistaken for store errors.
  caf::error other{std::uint8_t{3}, caf::atom("pd")};
  CHECK_FALSE(rdb_code(other).has_value());
  CHECK_FALSE(to_request_error(caf::error{}).has_value());
}

TEST_CASE("codec: a compare-and-swap round trips, and a bad expect_absent byte is refused") {
  command c;
  c.kind = command_kind::cas;
  c.proposer = peer_id{2};
  c.tag = 9;
  c.client = client_id{4};
  c.seq = 8;
  c.first_incomplete = 8;
  c.key = "key";
  c.expected = std::string("old\0", 4);
  c.value = "new";
  auto data = command_codec::encode(c);
  auto r = command_codec::decode(data);
  REQUIRE(r.has_value());
  CHECK(*r == c);
  c.expect_absent = true;
  c.expected.clear();
  CHECK(command_codec::decode(command_codec::encode(c)) == c);
  // The flag byte follows the 42-byte header and the key (4 + 3 bytes).
  data[42 + 7] = 2;
  CHECK(decode_error(data) == errc::storage_corrupt);
}
