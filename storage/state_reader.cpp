#include "storage/state_reader.hpp"

#include <string>

#include "storage/cursor.hpp"
#include "storage/key_codec.hpp"
#include "storage/lmdb_error.hpp"
#include "storage/record_codec.hpp"

namespace rdb::storage {

namespace {

std::string describe(region_id region, keys::state_kind kind) {
  const char* name = "unknown";
  switch (kind) {
    case keys::state_kind::hard_state:
      name = "hard_state";
      break;
    case keys::state_kind::apply_state:
      name = "apply_state";
      break;
    case keys::state_kind::region_state:
      name = "region_state";
      break;
    case keys::state_kind::region_size:
      name = "region_size";
      break;
    case keys::state_kind::client_session:
      name = "client_session";
      break;
    case keys::state_kind::session_index:
      name = "session_index";
      break;
  }
  return "raft_state region " + std::to_string(region.value()) + " key " + name;
}

/// Looks up one state record and decodes it with `decode`.
template <class Decode>
auto load(const txn& t, const databases& dbs, region_id region, keys::state_kind kind,
          Decode decode) -> result<decltype(decode(std::string_view{}))> {
  MDB_val v;
  auto key = keys::make_state_key(region, kind);
  int rc = t.get(dbs.raft_state, keys::view(key), v);
  if (rc == MDB_NOTFOUND) return decltype(decode(std::string_view{})){};
  if (rc != 0) return std::unexpected(lmdb_error(rc, "reading " + describe(region, kind)));
  auto decoded = decode(as_view(v));
  if (!decoded)
    return fail(errc::storage_corrupt, describe(region, kind) + ": record failed verification");
  return decoded;
}

}  // namespace

result<std::optional<raft::hard_state>> state_reader::hard_state(region_id region) const {
  return load(txn_, dbs_, region, keys::state_kind::hard_state, record_codec::decode_hard_state);
}

result<std::optional<storage::apply_state>> state_reader::apply_state(region_id region) const {
  return load(txn_, dbs_, region, keys::state_kind::apply_state, record_codec::decode_apply_state);
}

result<storage::apply_state> state_reader::apply_state_or_default(region_id region) const {
  auto as = apply_state(region);
  if (!as) return std::unexpected(as.error());
  return as->value_or(storage::apply_state{});
}

result<std::optional<region_local_state>> state_reader::region_state(region_id region) const {
  auto rs =
      load(txn_, dbs_, region, keys::state_kind::region_state, record_codec::decode_region_state);
  if (rs && *rs && (*rs)->region.id != region)
    return fail(errc::storage_corrupt, describe(region, keys::state_kind::region_state) +
                                           ": record names region " +
                                           std::to_string((*rs)->region.id.value()));
  return rs;
}

result<region_usage> state_reader::usage(region_id region) const {
  auto usage =
      load(txn_, dbs_, region, keys::state_kind::region_size, record_codec::decode_region_usage);
  if (!usage) return std::unexpected(usage.error());
  return usage->value_or(region_usage{});
}

result<raft::log_index> state_reader::session_index(region_id region) const {
  auto index =
      load(txn_, dbs_, region, keys::state_kind::session_index, record_codec::decode_session_index);
  if (!index) return std::unexpected(index.error());
  return index->value_or(raft::log_index{});
}

result<std::vector<client_session>> state_reader::client_sessions(region_id region) const {
  auto c = cursor::open(txn_, dbs_.raft_state);
  if (!c) return std::unexpected(c.error());
  std::vector<client_session> out;
  auto start = keys::make_session_key(region, 0);
  int rc = c->seek(keys::view(start));
  for (; rc == 0; rc = c->next()) {
    auto parsed = keys::parse_state_key(c->key());
    if (!parsed || parsed->first != region || parsed->second != keys::state_kind::client_session)
      break;
    auto client = keys::get_u64(c->key().data() + 9);
    auto s = record_codec::decode_client_session(c->value());
    if (!s || s->client != client)
      return fail(errc::storage_corrupt, describe(region, keys::state_kind::client_session) +
                                             " of client " + std::to_string(client) +
                                             ": record failed verification");
    out.push_back(std::move(*s));
  }
  if (rc != 0 && rc != MDB_NOTFOUND)
    return std::unexpected(
        lmdb_error(rc, "reading " + describe(region, keys::state_kind::client_session)));
  return out;
}

result<std::vector<region_id>> state_reader::region_ids() const {
  auto c = cursor::open(txn_, dbs_.raft_state);
  if (!c) return std::unexpected(c.error());
  std::vector<region_id> out;
  for (int rc = c->first(); rc != MDB_NOTFOUND; rc = c->next()) {
    if (rc != 0) return std::unexpected(lmdb_error(rc, "listing regions"));
    auto parsed = keys::parse_state_key(c->key());
    if (!parsed)
      return fail(errc::storage_corrupt,
                  "raft_state holds a key of " + std::to_string(c->key().size()) + " bytes");
    if (out.empty() || out.back() != parsed->first) out.push_back(parsed->first);
  }
  return out;
}

result<std::vector<region_local_state>> state_reader::regions() const {
  auto ids = region_ids();
  if (!ids) return std::unexpected(ids.error());
  std::vector<region_local_state> out;
  for (auto region : *ids) {
    auto rs = region_state(region);
    if (!rs) return std::unexpected(rs.error());
    // A region may have log or size records but no local state yet.
    if (*rs) out.push_back(std::move(**rs));
  }
  return out;
}

}  // namespace rdb::storage
