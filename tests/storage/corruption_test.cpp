#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "raw_lmdb.hpp"
#include "storage/key_codec.hpp"
#include "storage/record_codec.hpp"
#include "storage/region_log.hpp"
#include "storage/store.hpp"
#include "test_support.hpp"

using namespace rdb;
using namespace rdb::storage;
using namespace rdb::storage::test;

namespace {

const region_id r3{3};
constexpr std::uint64_t unlimited = ~std::uint64_t{0};

/// A store with region 3 holding entries 1..8, every state record and a region size.
void populate(const std::string& dir) {
  auto s = open_store(dir);
  write_batch b;
  b.append(r3, make_entries(1, 8, 2));
  b.set_hard_state(r3, raft::hard_state{raft::term_id{2}, raft::node_id{1}, raft::log_index{8}});
  b.set_apply_state(r3, apply_state{raft::log_index{8}, {}, {}});
  region_local_state rs;
  rs.region.id = r3;
  rs.region.peers = {{peer_id{31}, store_id{1}, peer_role::voter}};
  b.set_region_state(r3, rs);
  b.put(r3, "k", "v");
  take(s->write(b));
}

std::string log_key(std::uint64_t index) {
  return std::string{keys::view(keys::make_log_key(r3, raft::log_index{index}))};
}

std::string state_key(keys::state_kind kind) {
  return std::string{keys::view(keys::make_state_key(r3, kind))};
}

void check_corrupt(const error& e, const std::string& what) {
  CHECK(e.code == errc::storage_corrupt);
  CHECK_MESSAGE(e.message.find("region 3") != std::string::npos, e.message);
  CHECK_MESSAGE(e.message.find(what) != std::string::npos, e.message);
}

/// Byte strings that are not valid records of any kind.
std::vector<std::string> garbage() {
  return {std::string{"\xff\xff\xff\x7f garbage", 13}, std::string{"\x01", 1}, std::string(3, '\0'),
          std::string{"\x04\x00\x00\x00\xfc\xff\xff\xff", 8}, std::string(64, '\xa5')};
}

}  // namespace

TEST_CASE("a garbage log entry is storage_corrupt naming region and index") {
  for (const auto& junk : garbage()) {
    temp_dir dir;
    populate(dir.path());
    raw_put(dir.path(), "raft_log", log_key(5), junk);
    auto s = open_store(dir.path());
    region_log log{*s, r3};
    check_corrupt(log.entries(raft::log_index{1}, raft::log_index{9}, unlimited).error(),
                  "index 5");
    check_corrupt(log.term(raft::log_index{5}).error(), "index 5");
    // The healthy neighbours stay readable.
    CHECK(take(log.entries(raft::log_index{1}, raft::log_index{5}, unlimited)).size() == 4);
    CHECK(take(log.term(raft::log_index{6})) == raft::term_id{2});
  }
}

TEST_CASE("a log entry stored under the wrong index is storage_corrupt") {
  temp_dir dir;
  populate(dir.path());
  raw_put(dir.path(), "raft_log", log_key(4), raw_get(dir.path(), "raft_log", log_key(6)));
  auto s = open_store(dir.path());
  region_log log{*s, r3};
  check_corrupt(log.term(raft::log_index{4}).error(), "index 4");
  check_corrupt(log.entries(raft::log_index{1}, raft::log_index{9}, unlimited).error(), "index 4");
}

TEST_CASE("garbage state records are storage_corrupt naming region and record") {
  const std::pair<keys::state_kind, const char*> kinds[] = {
      {keys::state_kind::hard_state, "hard_state"},
      {keys::state_kind::apply_state, "apply_state"},
      {keys::state_kind::region_state, "region_state"},
      {keys::state_kind::region_size, "region_size"},
      {keys::state_kind::session_index, "session_index"}};
  for (auto [kind, name] : kinds) {
    CAPTURE(name);
    temp_dir dir;
    populate(dir.path());
    raw_put(dir.path(), "raft_state", state_key(kind), garbage()[0]);
    auto s = open_store(dir.path());
    auto view = take(s->read());
    switch (kind) {
      case keys::state_kind::hard_state:
        check_corrupt(view.load_hard_state(r3).error(), name);
        break;
      case keys::state_kind::apply_state:
        check_corrupt(view.load_apply_state(r3).error(), name);
        // The log's bounds come from the apply state, so they are corrupt too.
        check_corrupt(view.first_index(r3).error(), name);
        break;
      case keys::state_kind::region_state:
        check_corrupt(view.load_region_state(r3).error(), name);
        check_corrupt(view.regions().error(), name);
        break;
      case keys::state_kind::region_size:
        check_corrupt(view.approximate_usage(r3).error(), name);
        break;
      case keys::state_kind::session_index:
        check_corrupt(view.load_session_index(r3).error(), name);
        break;
      case keys::state_kind::client_session:
        FAIL("client sessions have keys of their own (tested below)");
        break;
    }
  }
}

TEST_CASE("a garbage or misplaced client session is storage_corrupt naming region and client") {
  auto key = std::string{keys::view(keys::make_session_key(r3, 9))};
  for (const auto& junk : garbage()) {
    temp_dir dir;
    populate(dir.path());
    raw_put(dir.path(), "raft_state", key, junk);
    auto s = open_store(dir.path());
    auto e = take(s->read()).load_client_sessions(r3).error();
    check_corrupt(e, "client_session");
    CHECK_MESSAGE(e.message.find("client 9") != std::string::npos, e.message);
  }
  // A valid record of another client under this client's key.
  temp_dir dir;
  populate(dir.path());
  record_codec codec;
  raw_put(dir.path(), "raft_state", key,
          std::string{codec.encode(client_session{8, 0, 1, {}, {}})});
  auto s = open_store(dir.path());
  check_corrupt(take(s->read()).load_client_sessions(r3).error(), "client 9");
}

TEST_CASE("a write batch that meets a corrupt record fails and changes nothing") {
  temp_dir dir;
  populate(dir.path());
  raw_put(dir.path(), "raft_state", state_key(keys::state_kind::apply_state), garbage()[1]);
  auto s = open_store(dir.path());
  write_batch b;
  b.put(r3, "new", "x");
  b.append(r3, make_entries(9, 9, 2));
  check_corrupt(s->write(b).error(), "apply_state");
  CHECK_FALSE(take(take(s->read()).get("new")).has_value());
}

TEST_CASE("a corrupt store identity is refused at open") {
  temp_dir dir;
  populate(dir.path());
  raw_put(dir.path(), "store_meta", "ident", garbage()[0]);
  auto r = store::open(dir.path(), test_options());
  CHECK(code_of(r) == errc::storage_corrupt);
  CHECK(r.error().message.find("ident") != std::string::npos);
}

TEST_CASE("every single-byte flip of stored records is read back or reported, never trusted") {
  temp_dir dir;
  populate(dir.path());
  auto entry = raw_get(dir.path(), "raft_log", log_key(5));
  auto region = raw_get(dir.path(), "raft_state", state_key(keys::state_kind::region_state));
  auto original = record_codec::decode_entry(entry);
  REQUIRE(original.has_value());
  int detected = 0;
  for (std::size_t i = 0; i < entry.size(); ++i) {
    for (unsigned char mask : {0x01, 0x80, 0xff}) {
      auto flipped = entry;
      flipped[i] = static_cast<char>(flipped[i] ^ mask);
      auto e = record_codec::decode_entry(flipped);
      if (!e) ++detected;
    }
  }
  for (std::size_t i = 0; i < region.size(); ++i) {
    auto flipped = region;
    flipped[i] = static_cast<char>(flipped[i] ^ 0xff);
    if (!record_codec::decode_region_state(flipped)) ++detected;
  }
  // Flips in offsets and lengths must be caught (payload flips are undetectable by design).
  CHECK(detected > 0);
  // Through the store, every flip of entry 5 gives the entry or storage_corrupt, nothing else.
  for (std::size_t i = 0; i < entry.size(); i += 3) {
    auto flipped = entry;
    flipped[i] = static_cast<char>(flipped[i] ^ 0xff);
    raw_put(dir.path(), "raft_log", log_key(5), flipped);
    auto s = open_store(dir.path());
    auto r = region_log{*s, r3}.entries(raft::log_index{5}, raft::log_index{6}, unlimited);
    if (!r) {
      check_corrupt(r.error(), "index 5");
    } else {
      CHECK(r->size() == 1);
    }
  }
}

TEST_CASE("records at odd addresses are copied before they are read") {
  record_codec codec;
  raft::entry e{raft::term_id{9}, raft::log_index{77}, raft::entry_type::conf_change, "payload"};
  auto bytes = std::string{codec.encode(e)};
  std::string shifted = "x" + bytes;
  auto got = record_codec::decode_entry(std::string_view{shifted}.substr(1));
  REQUIRE(got.has_value());
  CHECK(*got == e);
  apply_state as{raft::log_index{5}, raft::log_index{3}, raft::term_id{2}};
  std::string shifted_state = "yyy" + std::string{codec.encode(as)};
  CHECK(record_codec::decode_apply_state(std::string_view{shifted_state}.substr(3)) ==
        std::optional{as});
  CHECK_FALSE(record_codec::decode_entry(std::string_view{}).has_value());
}

TEST_CASE("a region state stored under another region's key is storage_corrupt") {
  temp_dir dir;
  populate(dir.path());
  region_local_state other;
  other.region.id = region_id{4};
  record_codec codec;
  raw_put(dir.path(), "raft_state", state_key(keys::state_kind::region_state),
          std::string{codec.encode(other)});
  auto s = open_store(dir.path());
  auto view = take(s->read());
  check_corrupt(view.load_region_state(r3).error(), "names region 4");
  check_corrupt(view.regions().error(), "region_state");
}
