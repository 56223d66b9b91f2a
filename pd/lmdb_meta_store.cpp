#include "pd/lmdb_meta_store.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <string_view>
#include <system_error>
#include <utility>

#include "storage/cursor.hpp"
#include "storage/key_codec.hpp"
#include "storage/lmdb_error.hpp"
#include "storage/txn.hpp"

namespace rdb::pd {

namespace {

constexpr std::string_view bootstrap_key = "bootstrap";
constexpr std::string_view id_alloc_key = "id_alloc";

using id_key = std::array<char, 8>;

id_key make_key(std::uint64_t id) {
  id_key k;
  storage::keys::put_u64(k.data(), id);
  return k;
}

std::string_view view(const id_key& k) {
  return {k.data(), k.size()};
}

/// A storage-layer failure as PD reports it: damage stays distinguishable from I/O trouble.
failure from_storage(const storage::error& e) {
  auto code =
      e.code == storage::errc::storage_corrupt ? errc::storage_corrupt : errc::storage_failure;
  return failure{code, e.message, std::nullopt};
}

std::unexpected<failure> lmdb_failure(int rc, const std::string& what) {
  return std::unexpected(from_storage(storage::lmdb_error(rc, what)));
}

std::unexpected<failure> corrupt(const std::string& db, const std::string& what) {
  return fail(errc::storage_corrupt, "corrupt record in " + db + ": " + what);
}

}  // namespace

lmdb_meta_store::lmdb_meta_store(MDB_env* env, std::string dir, std::size_t max_map_size)
    : env_(env), dir_(std::move(dir)), max_map_size_(max_map_size) {}

lmdb_meta_store::~lmdb_meta_store() {
  mdb_env_close(env_);
}

result<std::unique_ptr<lmdb_meta_store>> lmdb_meta_store::open(const std::string& dir,
                                                               std::size_t map_size,
                                                               std::size_t max_map_size) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return fail(errc::storage_failure, "cannot create PD directory " + dir + ": " + ec.message());
  MDB_env* raw = nullptr;
  if (int rc = mdb_env_create(&raw); rc != 0)
    return lmdb_failure(rc, "creating PD environment for " + dir);
  std::unique_ptr<lmdb_meta_store> s{new lmdb_meta_store{raw, dir, max_map_size}};
  if (int rc = mdb_env_set_maxdbs(raw, 3); rc != 0)
    return lmdb_failure(rc, "setting max databases for " + dir);
  if (int rc = mdb_env_set_mapsize(raw, map_size); rc != 0)
    return lmdb_failure(rc, "setting map size for " + dir);
  if (int rc = mdb_env_open(raw, dir.c_str(), MDB_NOTLS, 0644); rc != 0)
    return lmdb_failure(rc, "opening PD directory " + dir);
  if (auto ok = s->open_databases(); !ok) return std::unexpected(ok.error());
  return s;
}

result<void> lmdb_meta_store::open_databases() {
  auto t = storage::txn::begin(env_, false);
  if (!t) return std::unexpected(from_storage(t.error()));
  std::pair<const char*, MDB_dbi*> names[] = {
      {"pd_meta", &meta_}, {"pd_stores", &stores_}, {"pd_regions", &regions_}};
  for (auto [name, dbi] : names)
    if (int rc = mdb_dbi_open(t->get(), name, MDB_CREATE, dbi); rc != 0)
      return lmdb_failure(rc, std::string{"opening database "} + name + " in " + dir_);
  // Database handles outlive their transaction only if it commits.
  if (int rc = t->commit(); rc != 0) return lmdb_failure(rc, "creating databases in " + dir_);
  return {};
}

result<persisted_state> lmdb_meta_store::load() {
  auto t = storage::txn::begin(env_, true);
  if (!t) return std::unexpected(from_storage(t.error()));
  persisted_state st;
  MDB_val v{};
  if (int rc = t->get(meta_, bootstrap_key, v); rc == 0) {
    st.bootstrap = record_codec::decode_bootstrap(storage::as_view(v));
    if (!st.bootstrap) return corrupt("pd_meta", "bootstrap layout");
  } else if (rc != MDB_NOTFOUND) {
    return lmdb_failure(rc, "reading bootstrap layout in " + dir_);
  }
  if (int rc = t->get(meta_, id_alloc_key, v); rc == 0) {
    auto hw = record_codec::decode_high_water(storage::as_view(v));
    if (!hw) return corrupt("pd_meta", "id high-water mark");
    st.id_high_water = *hw;
  } else if (rc != MDB_NOTFOUND) {
    return lmdb_failure(rc, "reading id high-water mark in " + dir_);
  }
  {
    auto c = storage::cursor::open(*t, stores_);
    if (!c) return std::unexpected(from_storage(c.error()));
    int rc = c->first();
    for (; rc == 0; rc = c->next()) {
      auto s = record_codec::decode_store(c->value());
      if (!s || c->key().size() != 8 || storage::keys::get_u64(c->key().data()) != s->id.value())
        return corrupt("pd_stores", "store record " + std::to_string(st.stores.size()));
      st.stores.push_back(std::move(*s));
    }
    if (rc != MDB_NOTFOUND) return lmdb_failure(rc, "scanning stores in " + dir_);
  }
  {
    auto c = storage::cursor::open(*t, regions_);
    if (!c) return std::unexpected(from_storage(c.error()));
    int rc = c->first();
    for (; rc == 0; rc = c->next()) {
      auto r = record_codec::decode_region(c->value());
      if (!r || c->key().size() != 8 ||
          storage::keys::get_u64(c->key().data()) != r->meta.id.value())
        return corrupt("pd_regions", "region record " + std::to_string(st.regions.size()));
      st.regions.push_back(std::move(*r));
    }
    if (rc != MDB_NOTFOUND) return lmdb_failure(rc, "scanning regions in " + dir_);
  }
  return st;
}

result<void> lmdb_meta_store::write(const change_set& changes, bool& map_full) {
  auto t = storage::txn::begin(env_, false);
  if (!t) return std::unexpected(from_storage(t.error()));
  auto check = [&](int rc, const std::string& what) -> result<void> {
    if (rc == 0) return {};
    map_full = rc == MDB_MAP_FULL;
    return lmdb_failure(rc, what + " in " + dir_);
  };
  if (changes.bootstrap) {
    auto ok = check(t->put(meta_, bootstrap_key, codec_.encode(*changes.bootstrap)),
                    "writing bootstrap layout");
    if (!ok) return ok;
  }
  if (changes.id_high_water) {
    auto ok = check(t->put(meta_, id_alloc_key, codec_.encode_high_water(*changes.id_high_water)),
                    "writing id high-water mark");
    if (!ok) return ok;
  }
  for (const auto& s : changes.stores) {
    auto ok = check(t->put(stores_, view(make_key(s.id.value())), codec_.encode(s)),
                    "writing store " + std::to_string(s.id.value()));
    if (!ok) return ok;
  }
  for (auto id : changes.removed_regions) {
    int rc = t->del(regions_, view(make_key(id.value())));
    auto ok = check(rc == MDB_NOTFOUND ? 0 : rc, "deleting region " + std::to_string(id.value()));
    if (!ok) return ok;
  }
  for (const auto& r : changes.regions) {
    auto ok = check(t->put(regions_, view(make_key(r.meta.id.value())), codec_.encode(r)),
                    "writing region " + std::to_string(r.meta.id.value()));
    if (!ok) return ok;
  }
  return check(t->commit(), "committing PD changes");
}

result<void> lmdb_meta_store::grow_map() {
  MDB_envinfo info{};
  mdb_env_info(env_, &info);
  if (info.me_mapsize >= max_map_size_)
    return fail(errc::storage_failure, "PD map in " + dir_ + " is full at its limit of " +
                                           std::to_string(max_map_size_) + " bytes");
  auto bigger = std::min(info.me_mapsize * 2, max_map_size_);
  if (int rc = mdb_env_set_mapsize(env_, bigger); rc != 0)
    return lmdb_failure(rc, "growing PD map in " + dir_);
  return {};
}

result<void> lmdb_meta_store::commit(const change_set& changes) {
  for (;;) {
    bool map_full = false;
    auto ok = write(changes, map_full);
    if (ok || !map_full) return ok;
    // The failed transaction is gone: the map may be resized now.
    if (auto grown = grow_map(); !grown) return grown;
  }
}

}  // namespace rdb::pd
