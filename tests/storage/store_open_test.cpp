#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "storage/engines.hpp"
#include "storage/record_codec.hpp"
#include "storage/store.hpp"
#include "test_support.hpp"

using namespace rdb;
using namespace rdb::storage;
using namespace rdb::storage::test;

TEST_CASE("a new store records its identity and finds it again on reopen") {
  temp_dir dir;
  {
    auto s = open_store(dir.path());
    CHECK(s->ident() == store_ident{cluster_id{7}, store_id{1}, format_version});
  }
  store_options opts;  // no expectations: accepts whatever is there
  auto s = take(store::open(dir.path(), opts));
  CHECK(s->ident().cluster == cluster_id{7});
  CHECK(s->ident().store == store_id{1});
}

TEST_CASE("opening a store of another cluster or store id is refused") {
  temp_dir dir;
  open_store(dir.path());
  auto opts = test_options();
  opts.cluster = cluster_id{8};
  auto r = store::open(dir.path(), opts);
  CHECK(code_of(r) == errc::cluster_mismatch);
  CHECK(r.error().message.find("cluster 7") != std::string::npos);
  opts = test_options();
  opts.store = store_id{2};
  CHECK(code_of(store::open(dir.path(), opts)) == errc::store_mismatch);
}

TEST_CASE("opening a store of another format version is refused") {
  // Version 1 kept keys of 500-510 bytes under keys of their own; a future one is unknown.
  for (auto other : {std::uint32_t{1}, format_version + 1}) {
    CAPTURE(other);
    temp_dir dir;
    open_store(dir.path());
    {
      // Rewrite the identity with the raw LMDB API, as a future version would have written it.
      MDB_env* env = nullptr;
      REQUIRE(mdb_env_create(&env) == 0);
      mdb_env_set_maxdbs(env, 4);
      REQUIRE(mdb_env_open(env, dir.path().c_str(), 0, 0644) == 0);
      MDB_txn* txn = nullptr;
      REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
      MDB_dbi dbi;
      REQUIRE(mdb_dbi_open(txn, "store_meta", 0, &dbi) == 0);
      record_codec codec;
      auto bytes = codec.encode(store_ident{cluster_id{7}, store_id{1}, other});
      MDB_val k{5, const_cast<char*>("ident")};
      MDB_val v{bytes.size(), const_cast<char*>(bytes.data())};
      REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
      REQUIRE(mdb_txn_commit(txn) == 0);
      mdb_env_close(env);
    }
    auto r = store::open(dir.path(), test_options());
    CHECK(code_of(r) == errc::format_mismatch);
    CHECK(r.error().message.find("format version " + std::to_string(other)) != std::string::npos);
  }
}

TEST_CASE("a missing directory is a clear error") {
  temp_dir dir;
  auto missing = dir.path() + "/nope";
  auto r = store::open(missing, test_options());
  CHECK(code_of(r) == errc::io_error);
  CHECK(r.error().message.find("does not exist") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(missing));
}

TEST_CASE("a path that is a file is a clear error") {
  temp_dir dir;
  auto file = dir.path() + "/file";
  std::ofstream{file} << "x";
  auto r = store::open(file, test_options());
  CHECK(code_of(r) == errc::io_error);
  CHECK(r.error().message.find("not a directory") != std::string::npos);
}

TEST_CASE("an unwritable directory is a clear error") {
  temp_dir dir;
  // Permission bits do not stop root, so as root use a directory of a read-only file system.
  std::string target = dir.path() + "/ro";
  if (::geteuid() == 0) {
    target = "/proc/self";
  } else {
    REQUIRE(::mkdir(target.c_str(), 0555) == 0);
  }
  auto r = store::open(target, test_options());
  CHECK(code_of(r) == errc::io_error);
  CHECK(r.error().message.find(target) != std::string::npos);
}

TEST_CASE("an empty directory is not a store unless creation is asked for") {
  temp_dir dir;
  auto opts = test_options();
  opts.create_if_missing = false;
  CHECK(code_of(store::open(dir.path(), opts)) == errc::not_bootstrapped);
  opts.read_only = true;
  temp_dir other;
  CHECK(code_of(store::open(other.path(), opts)) == errc::not_bootstrapped);
}

TEST_CASE("creating a store needs both ids") {
  temp_dir dir;
  auto opts = test_options();
  opts.store = store_id{};
  CHECK(code_of(store::open(dir.path(), opts)) == errc::invalid_argument);
}

TEST_CASE("a read-only store reads but refuses writes") {
  temp_dir dir;
  {
    auto s = open_store(dir.path());
    write_batch b;
    b.put(region_id{1}, "k", "v");
    take(s->write(b));
  }
  store_options opts;
  opts.read_only = true;
  auto s = take(store::open(dir.path(), opts));
  auto view = take(s->read());
  CHECK(take(view.get("k")) == std::optional<std::string>{"v"});
  write_batch b;
  b.put(region_id{1}, "k", "w");
  CHECK(code_of(s->write(b)) == errc::invalid_argument);
}

TEST_CASE("a store directory holds a raft and a kv environment, both with the identity") {
  temp_dir dir;
  {
    auto e = take(engines::open(dir.path(), test_options()));
    CHECK(e.raft->dir() == dir.path() + "/raft");
    CHECK(e.kv->dir() == dir.path() + "/kv");
    CHECK(e.raft->ident() == store_ident{cluster_id{7}, store_id{1}, format_version});
    CHECK(e.kv->ident() == e.raft->ident());
    write_batch b;
    b.put(region_id{1}, "k", "v");
    take(e.kv->write(b));
  }
  auto e = take(engines::open(dir.path(), test_options()));
  CHECK(e.kv->read().value().get("k").value() == std::optional<std::string>{"v"});
  CHECK(e.raft->regions().empty());
  auto opts = test_options();
  opts.store = store_id{2};
  CHECK(code_of(engines::open(dir.path(), opts)) == errc::store_mismatch);
  opts = test_options();
  opts.create_if_missing = false;
  CHECK(code_of(engines::open(dir.path() + "/none", opts)) == errc::io_error);
}
