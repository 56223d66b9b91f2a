#include "storage/store.hpp"

#include <algorithm>
#include <chrono>

#include "storage/batch_applier.hpp"
#include "storage/key_codec.hpp"
#include "storage/lmdb_error.hpp"

namespace rdb::storage {

namespace {

/// How long map growth waits for open read views to close. Views are meant to live for one
/// message handler, so this only runs out when a thread holds a view while it writes.
constexpr auto remap_wait = std::chrono::seconds{5};

}  // namespace

store::store(env e, const store_options& opts) : env_(std::move(e)), opts_(opts) {}

result<std::unique_ptr<store>> store::open(const std::string& dir, const store_options& opts) {
  if (opts.initial_map_size == 0 || opts.max_map_size < opts.initial_map_size)
    return fail(errc::invalid_argument, "store options: map sizes must satisfy 0 < initial <= max");
  auto e = env::open(dir, opts.read_only, opts.initial_map_size, opts.sync_meta);
  if (!e) return std::unexpected(e.error());
  std::unique_ptr<store> s{new store{std::move(*e), opts}};
  if (auto ok = s->load_ident(); !ok) return std::unexpected(ok.error());
  return s;
}

result<void> store::load_ident() {
  auto t = txn::begin(env_.get(), env_.read_only());
  if (!t) return std::unexpected(t.error());
  MDB_val v;
  int rc = t->get(env_.dbs().store_meta, keys::ident_key, v);
  if (rc == MDB_NOTFOUND) {
    if (opts_.read_only || !opts_.create_if_missing)
      return fail(errc::not_bootstrapped, "no store in " + dir());
    if (opts_.cluster.is_none() || opts_.store.is_none())
      return fail(errc::invalid_argument,
                  "creating a store in " + dir() + " needs a cluster id and a store id");
    ident_ = store_ident{opts_.cluster, opts_.store, format_version};
    if (int wrc = t->put(env_.dbs().store_meta, keys::ident_key, codec_.encode(ident_)); wrc != 0)
      return std::unexpected(lmdb_error(wrc, "writing store identity in " + dir()));
    if (int crc = t->commit(); crc != 0)
      return std::unexpected(lmdb_error(crc, "committing store identity in " + dir()));
    return {};
  }
  if (rc != 0) return std::unexpected(lmdb_error(rc, "reading store identity in " + dir()));
  auto ident = record_codec::decode_store_ident(as_view(v));
  if (!ident)
    return fail(errc::storage_corrupt,
                "store_meta key ident in " + dir() + ": record failed verification");
  if (ident->format != format_version)
    return fail(errc::format_mismatch, "store in " + dir() + " has format version " +
                                           std::to_string(ident->format) + ", this build reads " +
                                           std::to_string(format_version));
  if (!opts_.cluster.is_none() && ident->cluster != opts_.cluster)
    return fail(errc::cluster_mismatch, "store in " + dir() + " belongs to cluster " +
                                            std::to_string(ident->cluster.value()) + ", expected " +
                                            std::to_string(opts_.cluster.value()));
  if (!opts_.store.is_none() && ident->store != opts_.store)
    return fail(errc::store_mismatch, "store in " + dir() + " is store " +
                                          std::to_string(ident->store.value()) + ", expected " +
                                          std::to_string(opts_.store.value()));
  ident_ = *ident;
  return {};
}

result<void> store::write(const write_batch& batch) {
  if (env_.read_only()) return fail(errc::invalid_argument, "store in " + dir() + " is read-only");
  if (auto ok = batch.validate(); !ok) return ok;
  std::lock_guard guard{write_mutex_};
  for (;;) {
    auto ok = write_once(batch);
    if (ok || ok.error().code != errc::map_full) return ok;
    if (auto grown = grow(); !grown) return grown;
  }
}

result<void> store::write_once(const write_batch& batch) {
  auto t = txn::begin(env_.get(), false);
  if (!t) return std::unexpected(t.error());
  {
    // LMDB frees a write transaction's cursors at commit, so the applier and its cursors must
    // be gone before the commit below.
    batch_applier applier{*t, env_.dbs(), codec_};
    if (auto ok = applier.apply(batch); !ok) return ok;
  }
  if (int rc = t->commit(); rc != 0)
    return std::unexpected(lmdb_error(rc, "committing write batch in " + dir()));
  return {};
}

result<void> store::grow() {
  auto current = env_.map_size();
  if (current >= opts_.max_map_size)
    return fail(errc::map_full, "store in " + dir() + " is full: map of " +
                                    std::to_string(current) + " bytes reached the limit of " +
                                    std::to_string(opts_.max_map_size) + " bytes");
  std::unique_lock lock{remap_mutex_, std::defer_lock};
  if (!lock.try_lock_for(remap_wait))
    return fail(errc::map_full,
                "store in " + dir() + " is full and cannot grow while read views stay open");
  auto next = std::min(std::max(current * 2, current + 1), opts_.max_map_size);
  if (auto ok = env_.set_map_size(next); !ok) return ok;
  ++grow_count_;
  return {};
}

result<read_view> store::read() const {
  std::shared_lock lock{remap_mutex_};
  bool resized = false;
  auto t = txn::begin(env_.get(), true, &resized);
  if (!t && resized) {
    // A writer in another process grew the map (rdb-dump beside a running node): adopt its
    // size, which needs every transaction of this process closed, then begin again.
    lock.unlock();
    {
      std::unique_lock remap{remap_mutex_, std::defer_lock};
      if (!remap.try_lock_for(remap_wait))
        return fail(errc::io_error,
                    "store in " + dir() + " was resized by another process while views are open");
      if (auto ok = env_.set_map_size(0); !ok) return std::unexpected(ok.error());
    }
    lock.lock();
    t = txn::begin(env_.get(), true);
  }
  if (!t) return std::unexpected(t.error());
  return read_view{std::move(lock), std::move(*t), env_.dbs()};
}

}  // namespace rdb::storage
