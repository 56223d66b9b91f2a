#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include "storage/store.hpp"
#include "test_support.hpp"

using namespace rdb;
using namespace rdb::storage;
using namespace rdb::storage::test;

TEST_CASE("one batch carries several regions' logs, states and data") {
  temp_dir dir;
  auto s = open_store(dir.path());
  write_batch b;
  for (std::uint64_t r = 1; r <= 3; ++r) {
    region_id region{r};
    b.append(region, make_entries(1, r * 2, r));
    b.set_hard_state(region, raft::hard_state{raft::term_id{r}, {}, raft::log_index{r}});
    b.set_apply_state(region, apply_state{raft::log_index{r}, {}, {}});
    b.put(region, "key-" + std::to_string(r), "value");
  }
  CHECK(b.op_count() == 12);
  take(s->write(b));
  auto view = take(s->read());
  for (std::uint64_t r = 1; r <= 3; ++r) {
    region_id region{r};
    CHECK(take(view.last_index(region)) == raft::log_index{r * 2});
    CHECK(take(view.load_hard_state(region))->commit == raft::log_index{r});
    CHECK(take(view.load_apply_state(region))->applied_index == raft::log_index{r});
    CHECK(take(view.get("key-" + std::to_string(r))) == "value");
  }
}

TEST_CASE("a batch that fails part way changes nothing") {
  temp_dir dir;
  auto s = open_store(dir.path());
  write_batch b;
  b.put(region_id{1}, "a", "1");
  b.append(region_id{1}, make_entries(1, 2, 1));
  b.append(region_id{2}, make_entries(5, 6, 1));  // gap: region 2 has no entry 1..4
  auto r = s->write(b);
  CHECK(code_of(r) == errc::invalid_argument);
  CHECK(r.error().message.find("region 2") != std::string::npos);
  auto view = take(s->read());
  CHECK_FALSE(take(view.get("a")).has_value());
  CHECK(take(view.last_index(region_id{1})) == raft::log_index{0});
}

TEST_CASE("operations apply in order within a batch") {
  temp_dir dir;
  auto s = open_store(dir.path());
  write_batch b;
  b.put(region_id{1}, "a", "1");
  b.del(region_id{1}, "a");
  b.put(region_id{1}, "b", "1");
  b.put(region_id{1}, "b", "2");
  b.append(region_id{1}, make_entries(1, 5, 1));
  b.compact_log(region_id{1}, raft::log_index{3});
  b.append(region_id{1}, make_entries(5, 6, 2));
  take(s->write(b));
  auto view = take(s->read());
  CHECK_FALSE(take(view.get("a")).has_value());
  CHECK(take(view.get("b")) == "2");
  CHECK(take(view.first_index(region_id{1})) == raft::log_index{4});
  CHECK(take(view.term(region_id{1}, raft::log_index{6})) == raft::term_id{2});
  CHECK(take(view.approximate_usage(region_id{1})).bytes == 2);
}

TEST_CASE("a full map grows and the batch is retried, up to the configured limit") {
  temp_dir dir;
  auto opts = test_options();
  opts.initial_map_size = std::size_t{1} << 20;
  opts.max_map_size = std::size_t{8} << 20;
  auto s = take(store::open(dir.path(), opts));
  auto before = s->map_size();
  // 3 MiB in one batch does not fit 1 MiB: the store must grow (twice) and replay it.
  write_batch b;
  std::string value(64 << 10, 'v');
  for (int i = 0; i < 48; ++i)
    b.put(region_id{1}, "k" + std::to_string(i), value);
  take(s->write(b));
  CHECK(s->map_grow_count() >= 2);
  CHECK(s->map_size() > before);
  CHECK(take(take(s->read()).get("k47")) == value);
  // Keep writing distinct keys until the 8 MiB limit refuses: a typed error, nothing torn.
  result<void> last;
  int written = 0;
  for (int round = 0; round < 100 && last; ++round) {
    write_batch more;
    for (int i = 0; i < 16; ++i)
      more.put(region_id{1}, "m" + std::to_string(round) + "-" + std::to_string(i), value);
    last = s->write(more);
    if (last) ++written;
  }
  REQUIRE_FALSE(last.has_value());
  CHECK(last.error().code == errc::map_full);
  CHECK(last.error().message.find("limit") != std::string::npos);
  CHECK(s->map_size() == opts.max_map_size);
  auto view = take(s->read());
  auto failed = "m" + std::to_string(written) + "-";
  CHECK(take(view.scan(failed, failed + "~", 100)).empty());
  CHECK(take(view.get("k0")) == value);
}

TEST_CASE("a grown store reopens and keeps growing") {
  temp_dir dir;
  std::size_t grown = 0;
  {
    auto s = open_store(dir.path());
    write_batch b;
    b.put(region_id{1}, "big", std::string(3 << 20, 'v'));
    take(s->write(b));
    grown = s->map_size();
    CHECK(grown > test_options().initial_map_size);
  }
  auto s = open_store(dir.path());
  // LMDB maps at least what the file holds, and grows again on demand.
  CHECK(s->map_size() >= (3u << 20));
  CHECK(take(take(s->read()).get("big"))->size() == (3u << 20));
  write_batch more;
  more.put(region_id{1}, "big2", std::string(3 << 20, 'w'));
  take(s->write(more));
  CHECK(s->map_size() >= grown);
}

TEST_CASE("a reader adopts a map grown by a writer in another process") {
  temp_dir dir;
  open_store(dir.path());
  auto opts = test_options();
  opts.read_only = true;
  auto reader = take(store::open(dir.path(), opts));
  CHECK_FALSE(take(take(reader->read()).get("big")).has_value());
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // The child never touches the parent's environment; it opens its own and grows it.
    auto writer = store::open(dir.path(), test_options());
    write_batch b;
    b.put(region_id{1}, "big", std::string(3 << 20, 'v'));
    ::_exit(writer && (*writer)->write(b) && (*writer)->map_grow_count() > 0 ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  auto value = take(take(reader->read()).get("big"));
  REQUIRE(value.has_value());
  CHECK(value->size() == (3u << 20));
  CHECK(reader->map_size() >= (3u << 20));
}
