#include "storage/read_view.hpp"

#include "storage/bucket.hpp"
#include "storage/cursor.hpp"
#include "storage/key_codec.hpp"
#include "storage/lmdb_error.hpp"
#include "storage/log_reader.hpp"
#include "storage/state_reader.hpp"

namespace rdb::storage {

namespace {

result<bucket> decode_bucket(std::string_view value) {
  auto b = bucket::decode(value);
  if (!b)
    return fail(errc::storage_corrupt, "data holds a bucket of long keys that failed verification");
  return std::move(*b);
}

/// Walks the user keys in [start, end) in order, expanding buckets, and hands each to `fn` as
/// (user key, value) until it returns false.
template <class Fn>
result<void> walk(const txn& t, const databases& dbs, std::string_view start, std::string_view end,
                  Fn fn) {
  auto c = cursor::open(t, dbs.data);
  if (!c) return std::unexpected(c.error());
  // Records sort as their user keys do, buckets included (storage/bucket.hpp).
  int rc = c->seek(keys::make_data_key(start));
  std::string joined;
  for (; rc == 0; rc = c->next()) {
    auto user_key = keys::parse_data_key(c->key());
    if (!user_key)
      return fail(errc::storage_corrupt, "data holds a key without the data prefix (" +
                                             std::to_string(c->key().size()) + " bytes)");
    if (!keys::is_bucket_key(c->key())) {
      if (*user_key < start) continue;
      if (!end.empty() && *user_key >= end) return {};
      if (!fn(*user_key, c->value())) return {};
      continue;
    }
    auto b = decode_bucket(c->value());
    if (!b) return std::unexpected(b.error());
    for (const auto& [suffix, value] : b->entries()) {
      joined.assign(*user_key);
      joined.append(suffix);
      if (joined < start) continue;
      if (!end.empty() && joined >= end) return {};
      if (!fn(std::string_view{joined}, std::string_view{value})) return {};
    }
  }
  if (rc != MDB_NOTFOUND) return std::unexpected(lmdb_error(rc, "scanning data"));
  return {};
}

}  // namespace

result<std::optional<std::string>> read_view::get(std::string_view key) const {
  if (key.size() > max_key_size)
    return fail(errc::invalid_argument, "key of " + std::to_string(key.size()) +
                                            " bytes exceeds the limit of " +
                                            std::to_string(max_key_size) + " bytes");
  MDB_val v;
  int rc = txn_.get(dbs_->data, keys::make_data_key(key), v);
  if (rc == MDB_NOTFOUND) return std::optional<std::string>{};
  if (rc != 0) return std::unexpected(lmdb_error(rc, "reading data key"));
  if (!in_bucket(key)) return std::optional<std::string>{std::string{as_view(v)}};
  auto b = decode_bucket(as_view(v));
  if (!b) return std::unexpected(b.error());
  const auto* found = b->find(key.substr(bucket_prefix));
  if (!found) return std::optional<std::string>{};
  return std::optional<std::string>{*found};
}

result<std::vector<kv_pair>> read_view::scan(std::string_view start, std::string_view end,
                                             std::size_t limit) const {
  std::vector<kv_pair> out;
  if (limit == 0) return out;
  auto ok = walk(txn_, *dbs_, start, end, [&](std::string_view k, std::string_view v) {
    out.push_back(kv_pair{std::string{k}, std::string{v}});
    return out.size() < limit;
  });
  if (!ok) return std::unexpected(ok.error());
  return out;
}

result<void> read_view::for_each(std::string_view start, std::string_view end,
                                 const visitor& fn) const {
  return walk(txn_, *dbs_, start, end, fn);
}

result<std::uint64_t> read_view::range_size(std::string_view start, std::string_view end) const {
  std::uint64_t total = 0;
  auto ok = walk(txn_, *dbs_, start, end, [&](std::string_view k, std::string_view v) {
    total += k.size() + v.size();
    return true;
  });
  if (!ok) return std::unexpected(ok.error());
  return total;
}

result<std::vector<raft::entry>> read_view::entries(region_id region, raft::log_index lo,
                                                    raft::log_index hi,
                                                    std::uint64_t max_bytes) const {
  return log_reader{txn_, *dbs_, region}.entries(lo, hi, max_bytes);
}

result<raft::term_id> read_view::term(region_id region, raft::log_index i) const {
  return log_reader{txn_, *dbs_, region}.term(i);
}

result<raft::log_index> read_view::first_index(region_id region) const {
  return log_reader{txn_, *dbs_, region}.first_index();
}

result<raft::log_index> read_view::last_index(region_id region) const {
  return log_reader{txn_, *dbs_, region}.last_index();
}

result<std::optional<raft::hard_state>> read_view::load_hard_state(region_id region) const {
  return state_reader{txn_, *dbs_}.hard_state(region);
}

result<std::optional<apply_state>> read_view::load_apply_state(region_id region) const {
  return state_reader{txn_, *dbs_}.apply_state(region);
}

result<std::optional<region_local_state>> read_view::load_region_state(region_id region) const {
  return state_reader{txn_, *dbs_}.region_state(region);
}

result<region_usage> read_view::approximate_usage(region_id region) const {
  return state_reader{txn_, *dbs_}.usage(region);
}

result<raft::log_index> read_view::load_session_index(region_id region) const {
  return state_reader{txn_, *dbs_}.session_index(region);
}

result<std::vector<client_session>> read_view::load_client_sessions(region_id region) const {
  return state_reader{txn_, *dbs_}.client_sessions(region);
}

result<std::vector<region_id>> read_view::region_ids() const {
  return state_reader{txn_, *dbs_}.region_ids();
}

result<std::vector<region_local_state>> read_view::regions() const {
  return state_reader{txn_, *dbs_}.regions();
}

}  // namespace rdb::storage
