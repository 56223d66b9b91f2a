#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "storage/engines.hpp"
#include "storage/store.hpp"
#include "test_support.hpp"

using namespace rdb;
using namespace rdb::storage;
using namespace rdb::storage::test;

namespace {

struct run_result {
  int status = -1;
  std::string out;
};

/// Runs rdb-dump (named by RDB_DUMP) with `args`, capturing stdout and stderr.
run_result dump(const std::string& args) {
  const char* tool = std::getenv("RDB_DUMP");
  REQUIRE_MESSAGE(tool, "RDB_DUMP must name the rdb-dump binary");
  std::string cmd = std::string{tool} + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p);
  run_result r;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;)
    r.out.append(buf, n);
  int status = ::pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

void populate(const std::string& dir) {
  auto s = open_store(dir);
  write_batch b;
  region_local_state rs;
  rs.region = {region_id{4}, "b", "", {2, 3}, {{peer_id{41}, store_id{1}, peer_role::voter}}};
  b.set_region_state(region_id{4}, rs);
  b.append(region_id{4}, make_entries(1, 6, 2));
  b.compact_log(region_id{4}, raft::log_index{2});
  b.set_hard_state(region_id{4}, raft::hard_state{raft::term_id{2}, {}, raft::log_index{6}});
  b.put(region_id{4}, "bee", "honey");
  b.put(region_id{4}, std::string{"c\x01", 2}, "bin");
  take(s->write(b));
}

}  // namespace

TEST_CASE("rdb-dump prints identity, regions, a log and a key range") {
  temp_dir dir;
  populate(dir.path());
  auto summary = dump(dir.path());
  CHECK(summary.status == 0);
  CHECK_MESSAGE(has(summary.out, "store 1 of cluster 7, format 2"), summary.out);
  CHECK_MESSAGE(has(summary.out, "region 4 [\"b\", +inf) epoch conf_ver 2 version 3, normal"),
                summary.out);
  CHECK_MESSAGE(has(summary.out, "41@store1(voter)"), summary.out);
  CHECK_MESSAGE(has(summary.out, "log: first 3 last 6, term 2 vote 0 commit 6"), summary.out);
  CHECK_MESSAGE(has(summary.out, "approximate size: 13 bytes"), summary.out);

  auto log = dump(dir.path() + " --log 4 --from 5");
  CHECK(log.status == 0);
  CHECK_MESSAGE(has(log.out, "5 term 2 normal"), log.out);
  CHECK_MESSAGE(has(log.out, "6 term 2 normal"), log.out);
  CHECK_FALSE(has(log.out, "4 term 2"));

  auto data = dump(dir.path() + " --data --start c");
  CHECK(data.status == 0);
  CHECK_MESSAGE(has(data.out, "\"c\\x01\" 3 bytes \"bin\""), data.out);
  CHECK_FALSE(has(data.out, "bee"));
  CHECK(has(data.out, "1 record(s)"));
}

TEST_CASE("rdb-dump reports bad arguments and storage errors clearly") {
  temp_dir dir;
  populate(dir.path());
  auto compacted = dump(dir.path() + " --log 4 --from 1");
  CHECK(compacted.status == 1);
  CHECK_MESSAGE(has(compacted.out, "compacted"), compacted.out);
  auto missing = dump(dir.path() + "/missing");
  CHECK(missing.status == 1);
  CHECK(has(missing.out, "does not exist"));
  CHECK(dump("").status == 2);
  auto unknown = dump(dir.path() + " --frobnicate");
  CHECK(unknown.status == 2);
  CHECK(has(unknown.out, "unknown option --frobnicate"));
  CHECK(dump(dir.path() + " --log x").status == 2);
  CHECK(dump(dir.path() + " --from 3").status == 2);
}

TEST_CASE("rdb-dump reads a store directory's raft log and kv environment") {
  temp_dir dir;
  {
    auto e = take(engines::open(dir.path(), test_options()));
    write_batch log;
    log.append(region_id{4}, make_entries(1, 6, 2));
    log.compact_log(region_id{4}, raft::log_index{2});
    log.set_hard_state(region_id{4}, raft::hard_state{raft::term_id{2}, {}, raft::log_index{6}});
    take(e.raft->write(log));
    write_batch kv;
    kv.put(region_id{4}, "kiwi", "green");
    take(e.kv->write(kv));
  }
  auto summary = dump(dir.path());
  CHECK(summary.status == 0);
  CHECK_MESSAGE(has(summary.out, "raft log of store 1 of cluster 7"), summary.out);
  CHECK_MESSAGE(has(summary.out, "log: first 3 last 6, term 2 vote 0 commit 6, truncated 2/2"),
                summary.out);
  CHECK_MESSAGE(has(summary.out, "dir " + dir.path() + "/kv"), summary.out);
  auto log = dump(dir.path() + " --log 4 --from 5");
  CHECK(log.status == 0);
  CHECK_MESSAGE(has(log.out, "6 term 2 normal"), log.out);
  CHECK_FALSE(has(log.out, "4 term 2"));
  CHECK(dump(dir.path() + " --log 4 --from 1").status == 1);
  auto data = dump(dir.path() + " --data");
  CHECK(data.status == 0);
  CHECK_MESSAGE(has(data.out, "\"kiwi\" 5 bytes \"green\""), data.out);
}
