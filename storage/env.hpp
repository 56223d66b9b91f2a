#pragma once

#include <lmdb.h>

#include <cstddef>
#include <string>

#include "storage/error.hpp"

namespace rdb::storage {

/// The named databases of one store environment (see DESIGN.md, storage layout).
struct databases {
  MDB_dbi raft_log = 0;
  MDB_dbi raft_state = 0;
  MDB_dbi data = 0;
  MDB_dbi store_meta = 0;
};

/// Owns one LMDB environment (one store directory) and the handles of its named databases.
///
/// The environment is opened with `MDB_NOTLS` so a read transaction belongs to whoever holds
/// it, not to the thread that began it: an actor may run on any scheduler thread. Durability
/// uses LMDB's default: every write commit flushes the data pages and then the meta page
/// before it returns, so an acknowledged commit survives a crash and a torn commit is never
/// visible. With `sync_meta` false the meta page is flushed with the next commit instead
/// (`MDB_NOMETASYNC`): still never torn, but the last commit may be undone by a system crash.
/// `MDB_NOSYNC` and `MDB_MAPASYNC` are never set: they can corrupt the environment.
///
/// Thread rules: any thread may begin read transactions; one thread at a time writes; the map
/// is resized only while no transaction of this process is open (the store enforces that).
class env {
 public:
  /// Opens the environment in `dir`, which must exist (and be writable unless `read_only`).
  /// Creates the four named databases when writable. A read-only open of a directory without
  /// an environment is `not_bootstrapped`.
  static result<env> open(const std::string& dir, bool read_only, std::size_t map_size,
                          bool sync_meta = true);

  env(env&& other) noexcept;
  env& operator=(env&& other) noexcept;
  env(const env&) = delete;
  env& operator=(const env&) = delete;
  ~env();

  MDB_env* get() const { return env_; }
  const databases& dbs() const { return dbs_; }
  bool read_only() const { return read_only_; }
  const std::string& dir() const { return dir_; }

  /// The current map size in bytes.
  std::size_t map_size() const;

  /// Grows (or adopts another process's growth of) the map. Precondition: no transaction of
  /// this process is open.
  result<void> set_map_size(std::size_t bytes) const;

 private:
  env(MDB_env* e, std::string dir, bool read_only);
  result<void> open_databases();

  MDB_env* env_ = nullptr;
  databases dbs_;
  std::string dir_;
  bool read_only_ = false;
};

}  // namespace rdb::storage
