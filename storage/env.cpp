#include "storage/env.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include "storage/lmdb_error.hpp"

namespace rdb::storage {

namespace {

/// LMDB reports a missing directory as a bare ENOENT from deep inside; checking first gives
/// the operator a message that says which path and what is wrong with it.
result<void> check_dir(const std::string& dir, bool read_only) {
  std::error_code ec;
  auto st = std::filesystem::status(dir, ec);
  if (ec || !std::filesystem::exists(st))
    return fail(errc::io_error, "store directory " + dir + " does not exist");
  if (!std::filesystem::is_directory(st))
    return fail(errc::io_error, "store path " + dir + " is not a directory");
  int mode = read_only ? R_OK | X_OK : R_OK | W_OK | X_OK;
  if (::access(dir.c_str(), mode) != 0)
    return fail(errc::io_error, "store directory " + dir + " is not " +
                                    (read_only ? "readable" : "writable") + ": " +
                                    std::strerror(errno));
  return {};
}

}  // namespace

env::env(MDB_env* e, std::string dir, bool read_only)
    : env_(e), dir_(std::move(dir)), read_only_(read_only) {}

env::env(env&& other) noexcept
    : env_(std::exchange(other.env_, nullptr)),
      dbs_(other.dbs_),
      dir_(std::move(other.dir_)),
      read_only_(other.read_only_) {}

env& env::operator=(env&& other) noexcept {
  if (this != &other) {
    if (env_) mdb_env_close(env_);
    env_ = std::exchange(other.env_, nullptr);
    dbs_ = other.dbs_;
    dir_ = std::move(other.dir_);
    read_only_ = other.read_only_;
  }
  return *this;
}

env::~env() {
  if (env_) mdb_env_close(env_);
}

result<env> env::open(const std::string& dir, bool read_only, std::size_t map_size,
                      bool sync_meta) {
  if (auto ok = check_dir(dir, read_only); !ok) return std::unexpected(ok.error());
  MDB_env* raw = nullptr;
  if (int rc = mdb_env_create(&raw); rc != 0)
    return std::unexpected(lmdb_error(rc, "creating environment for " + dir));
  env e{raw, dir, read_only};
  if (int rc = mdb_env_set_maxdbs(raw, 4); rc != 0)
    return std::unexpected(lmdb_error(rc, "setting max databases for " + dir));
  if (int rc = mdb_env_set_mapsize(raw, map_size); rc != 0)
    return std::unexpected(lmdb_error(rc, "setting map size for " + dir));
  unsigned flags = MDB_NOTLS | (read_only ? MDB_RDONLY : 0u) | (sync_meta ? 0u : MDB_NOMETASYNC);
  if (int rc = mdb_env_open(raw, dir.c_str(), flags, 0644); rc != 0) {
    if (read_only && rc == ENOENT) return fail(errc::not_bootstrapped, "no store in " + dir);
    return std::unexpected(lmdb_error(rc, "opening store directory " + dir));
  }
  if (auto ok = e.open_databases(); !ok) return std::unexpected(ok.error());
  return e;
}

result<void> env::open_databases() {
  MDB_txn* txn = nullptr;
  if (int rc = mdb_txn_begin(env_, nullptr, read_only_ ? MDB_RDONLY : 0u, &txn); rc != 0)
    return std::unexpected(lmdb_error(rc, "opening databases in " + dir_));
  unsigned flags = read_only_ ? 0u : MDB_CREATE;
  std::pair<const char*, MDB_dbi*> names[] = {{"raft_log", &dbs_.raft_log},
                                              {"raft_state", &dbs_.raft_state},
                                              {"data", &dbs_.data},
                                              {"store_meta", &dbs_.store_meta}};
  for (auto [name, dbi] : names) {
    if (int rc = mdb_dbi_open(txn, name, flags, dbi); rc != 0) {
      mdb_txn_abort(txn);
      if (rc == MDB_NOTFOUND)
        return fail(errc::not_bootstrapped, std::string{"no database "} + name + " in " + dir_);
      return std::unexpected(lmdb_error(rc, std::string{"opening database "} + name));
    }
  }
  // Database handles outlive their transaction only if it commits.
  if (int rc = mdb_txn_commit(txn); rc != 0)
    return std::unexpected(lmdb_error(rc, "creating databases in " + dir_));
  return {};
}

std::size_t env::map_size() const {
  MDB_envinfo info{};
  mdb_env_info(env_, &info);
  return info.me_mapsize;
}

result<void> env::set_map_size(std::size_t bytes) const {
  if (int rc = mdb_env_set_mapsize(env_, bytes); rc != 0)
    return std::unexpected(lmdb_error(rc, "resizing map of " + dir_));
  return {};
}

}  // namespace rdb::storage
