#include "storage/log_reader.hpp"

#include <limits>
#include <string>

#include "storage/cursor.hpp"
#include "storage/key_codec.hpp"
#include "storage/lmdb_error.hpp"
#include "storage/record_codec.hpp"
#include "storage/state_reader.hpp"

namespace rdb::storage {

std::string log_reader::where(raft::log_index i) const {
  return "raft_log region " + std::to_string(region_.value()) + " index " +
         std::to_string(i.value());
}

result<raft::log_index> log_reader::first_index() const {
  auto as = state_reader{txn_, dbs_}.apply_state_or_default(region_);
  if (!as) return std::unexpected(as.error());
  return as->truncated_index + 1;
}

result<raft::log_index> log_reader::last_stored_index() const {
  auto c = cursor::open(txn_, dbs_.raft_log);
  if (!c) return std::unexpected(c.error());
  // The region's last key is the greatest key below the next region's first one: seek to the
  // highest possible key of this region and step back unless it exists.
  auto top =
      keys::make_log_key(region_, raft::log_index{std::numeric_limits<std::uint64_t>::max()});
  int rc = c->seek(keys::view(top));
  if (rc == 0 && c->key() == keys::view(top))
    return raft::log_index{std::numeric_limits<std::uint64_t>::max()};
  rc = rc == MDB_NOTFOUND ? c->last() : c->prev();
  if (rc == MDB_NOTFOUND) return raft::log_index{};
  if (rc != 0)
    return std::unexpected(
        lmdb_error(rc, "seeking last entry of region " + std::to_string(region_.value())));
  auto parsed = keys::parse_log_key(c->key());
  if (!parsed)
    return fail(errc::storage_corrupt, "raft_log holds a key of " +
                                           std::to_string(c->key().size()) + " bytes near region " +
                                           std::to_string(region_.value()));
  if (parsed->first != region_) return raft::log_index{};
  return parsed->second;
}

result<raft::log_index> log_reader::last_index() const {
  auto stored = last_stored_index();
  if (!stored) return stored;
  if (!stored->is_none()) return stored;
  auto as = state_reader{txn_, dbs_}.apply_state_or_default(region_);
  if (!as) return std::unexpected(as.error());
  return as->truncated_index;
}

result<raft::term_id> log_reader::term(raft::log_index i) const {
  auto as = state_reader{txn_, dbs_}.apply_state_or_default(region_);
  if (!as) return std::unexpected(as.error());
  if (i == as->truncated_index) return as->truncated_term;
  if (i < as->truncated_index)
    return fail(errc::compacted, where(i) + " is compacted (truncated index " +
                                     std::to_string(as->truncated_index.value()) + ")");
  MDB_val v;
  auto key = keys::make_log_key(region_, i);
  int rc = txn_.get(dbs_.raft_log, keys::view(key), v);
  if (rc == MDB_NOTFOUND) return fail(errc::unavailable, where(i) + " is not in the log");
  if (rc != 0) return std::unexpected(lmdb_error(rc, "reading " + where(i)));
  auto pos = record_codec::decode_entry_position(as_view(v));
  if (!pos || pos->second != i)
    return fail(errc::storage_corrupt, where(i) + ": record failed verification");
  return pos->first;
}

result<std::vector<raft::entry>> log_reader::entries(raft::log_index lo, raft::log_index hi,
                                                     std::uint64_t max_bytes) const {
  if (lo > hi)
    return fail(errc::invalid_argument, where(lo) + ": entries(" + std::to_string(lo.value()) +
                                            ", " + std::to_string(hi.value()) + ") is inverted");
  auto first = first_index();
  if (!first) return std::unexpected(first.error());
  if (lo < *first)
    return fail(errc::compacted,
                where(lo) + " is compacted (first index " + std::to_string(first->value()) + ")");
  auto last = last_index();
  if (!last) return std::unexpected(last.error());
  if (hi > *last + 1)
    return fail(errc::unavailable,
                where(hi - 1) + " is past the last index " + std::to_string(last->value()));
  std::vector<raft::entry> out;
  if (lo == hi) return out;
  auto c = cursor::open(txn_, dbs_.raft_log);
  if (!c) return std::unexpected(c.error());
  auto start = keys::make_log_key(region_, lo);
  std::uint64_t total = 0;
  raft::log_index expect = lo;
  for (int rc = c->seek(keys::view(start)); expect < hi; rc = c->next(), ++expect) {
    if (rc == MDB_NOTFOUND) return fail(errc::storage_corrupt, where(expect) + " is missing");
    if (rc != 0) return std::unexpected(lmdb_error(rc, "reading " + where(expect)));
    auto parsed = keys::parse_log_key(c->key());
    if (!parsed || parsed->first != region_ || parsed->second != expect)
      return fail(errc::storage_corrupt, where(expect) + " is missing");
    auto size = c->value().size();
    if (!out.empty() && total + size > max_bytes) break;
    auto e = record_codec::decode_entry(c->value());
    if (!e || e->index != expect)
      return fail(errc::storage_corrupt, where(expect) + ": record failed verification");
    total += size;
    out.push_back(std::move(*e));
  }
  return out;
}

}  // namespace rdb::storage
