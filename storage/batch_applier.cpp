#include "storage/batch_applier.hpp"

#include <algorithm>
#include <cmath>

#include "storage/bucket.hpp"
#include "storage/cursor.hpp"
#include "storage/key_codec.hpp"
#include "storage/lmdb_error.hpp"
#include "storage/log_reader.hpp"
#include "storage/state_reader.hpp"

namespace rdb::storage {

namespace {

std::string region_text(region_id region) {
  return "region " + std::to_string(region.value());
}

std::int64_t record_bytes(std::string_view key, std::string_view value) {
  return static_cast<std::int64_t>(key.size() + value.size());
}

}  // namespace

result<void> batch_applier::apply(const write_batch& batch) {
  for (const auto& o : batch.ops()) {
    auto ok = std::visit([this](const auto& op) { return apply_op(op); }, o);
    if (!ok) return ok;
  }
  return finish();
}

void batch_applier::account(region_id region, std::int64_t bytes, std::int64_t keys) {
  if (region.is_none() || (bytes == 0 && keys == 0)) return;
  auto& d = size_deltas_[region];
  d.bytes += bytes;
  d.keys += keys;
}

result<cursor*> batch_applier::data_cursor() {
  if (!data_cursor_) {
    auto c = cursor::open(txn_, dbs_.data);
    if (!c) return std::unexpected(c.error());
    data_cursor_.emplace(std::move(*c));
  }
  return &*data_cursor_;
}

result<void> batch_applier::put_state(region_id region, keys::state_kind kind,
                                      std::string_view value) {
  auto key = keys::make_state_key(region, kind);
  if (int rc = txn_.put(dbs_.raft_state, keys::view(key), value); rc != 0)
    return std::unexpected(lmdb_error(rc, "writing raft_state of " + region_text(region)));
  return {};
}

result<void> batch_applier::delete_log(region_id region, raft::log_index from, raft::log_index to) {
  auto c = cursor::open(txn_, dbs_.raft_log);
  if (!c) return std::unexpected(c.error());
  auto start = keys::make_log_key(region, from);
  int rc = c->seek(keys::view(start));
  while (rc == 0) {
    auto parsed = keys::parse_log_key(c->key());
    if (!parsed || parsed->first != region) break;
    if (!to.is_none() && parsed->second >= to) break;
    rc = c->del();
  }
  if (rc != 0 && rc != MDB_NOTFOUND)
    return std::unexpected(lmdb_error(rc, "deleting raft_log of " + region_text(region)));
  return {};
}

result<void> batch_applier::apply_op(const write_batch::append_op& op) {
  if (op.entries.empty()) return {};
  state_reader states{txn_, dbs_};
  auto as = states.apply_state_or_default(op.region);
  if (!as) return std::unexpected(as.error());
  // Entries already covered by a snapshot or compaction are dropped, as etcd's storage does.
  auto skip = std::ranges::find_if(
      op.entries, [&](const raft::entry& e) { return e.index > as->truncated_index; });
  if (skip == op.entries.end()) return {};
  auto last = log_reader{txn_, dbs_, op.region}.last_index();
  if (!last) return std::unexpected(last.error());
  if (skip->index > *last + 1)
    return fail(errc::invalid_argument, "append to " + region_text(op.region) + " at index " +
                                            std::to_string(skip->index.value()) +
                                            " leaves a gap after last index " +
                                            std::to_string(last->value()));
  if (skip->index <= *last) {
    if (auto ok = delete_log(op.region, skip->index, raft::log_index{}); !ok) return ok;
  }
  for (auto it = skip; it != op.entries.end(); ++it) {
    auto key = keys::make_log_key(op.region, it->index);
    if (int rc = txn_.put(dbs_.raft_log, keys::view(key), codec_.encode(*it)); rc != 0)
      return std::unexpected(lmdb_error(rc, "appending raft_log " + region_text(op.region) +
                                                " index " + std::to_string(it->index.value())));
  }
  return {};
}

result<void> batch_applier::apply_op(const write_batch::compact_op& op) {
  state_reader states{txn_, dbs_};
  auto as = states.apply_state_or_default(op.region);
  if (!as) return std::unexpected(as.error());
  if (op.up_to <= as->truncated_index) return {};
  log_reader log{txn_, dbs_, op.region};
  auto last = log.last_index();
  if (!last) return std::unexpected(last.error());
  if (op.up_to > *last)
    return fail(errc::invalid_argument, "compacting " + region_text(op.region) + " up to " +
                                            std::to_string(op.up_to.value()) + " past last index " +
                                            std::to_string(last->value()));
  auto term = log.term(op.up_to);
  if (!term) return std::unexpected(term.error());
  if (auto ok = delete_log(op.region, raft::log_index{}, op.up_to + 1); !ok) return ok;
  as->truncated_index = op.up_to;
  as->truncated_term = *term;
  return put_state(op.region, keys::state_kind::apply_state, codec_.encode(*as));
}

result<void> batch_applier::apply_op(const write_batch::clear_log_op& op) {
  return delete_log(op.region, raft::log_index{}, raft::log_index{});
}

result<void> batch_applier::apply_op(const write_batch::hard_state_op& op) {
  return put_state(op.region, keys::state_kind::hard_state, codec_.encode(op.hs));
}

result<void> batch_applier::apply_op(const write_batch::apply_state_op& op) {
  return put_state(op.region, keys::state_kind::apply_state, codec_.encode(op.as));
}

result<void> batch_applier::apply_op(const write_batch::region_state_op& op) {
  return put_state(op.region, keys::state_kind::region_state, codec_.encode(op.rs));
}

result<void> batch_applier::apply_op(const write_batch::session_op& op) {
  auto key = keys::make_session_key(op.region, op.session.client);
  int rc = txn_.put(dbs_.raft_state, keys::view(key), codec_.encode(op.session));
  if (rc != 0)
    return std::unexpected(lmdb_error(rc, "writing a client session of " + region_text(op.region)));
  return {};
}

result<void> batch_applier::apply_op(const write_batch::del_session_op& op) {
  auto key = keys::make_session_key(op.region, op.client);
  int rc = txn_.del(dbs_.raft_state, keys::view(key));
  if (rc != 0 && rc != MDB_NOTFOUND)
    return std::unexpected(
        lmdb_error(rc, "deleting a client session of " + region_text(op.region)));
  return {};
}

result<void> batch_applier::apply_op(const write_batch::session_index_op& op) {
  return put_state(op.region, keys::state_kind::session_index,
                   codec_.encode_session_index(op.index));
}

result<void> batch_applier::delete_sessions(region_id region) {
  auto c = cursor::open(txn_, dbs_.raft_state);
  if (!c) return std::unexpected(c.error());
  auto start = keys::make_session_key(region, 0);
  int rc = c->seek(keys::view(start));
  while (rc == 0) {
    auto parsed = keys::parse_state_key(c->key());
    if (!parsed || parsed->first != region || parsed->second != keys::state_kind::client_session)
      break;
    rc = c->del();
  }
  if (rc != 0 && rc != MDB_NOTFOUND)
    return std::unexpected(lmdb_error(rc, "deleting client sessions of " + region_text(region)));
  return {};
}

result<void> batch_applier::apply_op(const write_batch::destroy_op& op) {
  if (auto ok = delete_log(op.region, raft::log_index{}, raft::log_index{}); !ok) return ok;
  if (auto ok = delete_sessions(op.region); !ok) return ok;
  size_deltas_.erase(op.region);
  for (auto kind :
       {keys::state_kind::hard_state, keys::state_kind::apply_state, keys::state_kind::region_state,
        keys::state_kind::region_size, keys::state_kind::session_index}) {
    auto key = keys::make_state_key(op.region, kind);
    int rc = txn_.del(dbs_.raft_state, keys::view(key));
    if (rc != 0 && rc != MDB_NOTFOUND)
      return std::unexpected(lmdb_error(rc, "destroying state of " + region_text(op.region)));
  }
  return {};
}

result<void> batch_applier::apply_op(const write_batch::put_op& op) {
  keys::make_data_key(key_buf_, op.key);
  auto c = data_cursor();
  if (!c) return std::unexpected(c.error());
  int rc = (*c)->find(key_buf_);
  if (in_bucket(op.key) && (rc == 0 || rc == MDB_NOTFOUND)) {
    auto b = rc == 0 ? bucket::decode((*c)->value()) : bucket{};
    if (!b) return corrupt_bucket(op.region);
    auto old = b->put(op.key.substr(bucket_prefix), op.value);
    if (old)
      account(op.region,
              static_cast<std::int64_t>(op.value.size()) - static_cast<std::int64_t>(*old), 0);
    else
      account(op.region, record_bytes(op.key, op.value), 1);
    auto bytes = b->encode();
    rc = rc == 0 ? (*c)->put_current(key_buf_, bytes) : (*c)->put(key_buf_, bytes);
  } else if (rc == 0) {
    account(op.region,
            static_cast<std::int64_t>(op.value.size()) -
                static_cast<std::int64_t>((*c)->value().size()),
            0);
    rc = (*c)->put_current(key_buf_, op.value);
  } else if (rc == MDB_NOTFOUND) {
    account(op.region, record_bytes(op.key, op.value), 1);
    rc = (*c)->put(key_buf_, op.value);
  }
  if (rc != 0)
    return std::unexpected(lmdb_error(rc, "writing data key of " + std::to_string(op.key.size()) +
                                              " bytes for " + region_text(op.region)));
  return {};
}

result<void> batch_applier::apply_op(const write_batch::del_op& op) {
  keys::make_data_key(key_buf_, op.key);
  auto c = data_cursor();
  if (!c) return std::unexpected(c.error());
  int rc = (*c)->find(key_buf_);
  if (rc == MDB_NOTFOUND) return {};
  if (rc == 0 && in_bucket(op.key)) {
    auto b = bucket::decode((*c)->value());
    if (!b) return corrupt_bucket(op.region);
    auto old = b->erase(op.key.substr(bucket_prefix));
    if (!old) return {};
    account(op.region, -static_cast<std::int64_t>(op.key.size() + *old), -1);
    rc = b->empty() ? (*c)->del() : (*c)->put_current(key_buf_, b->encode());
  } else if (rc == 0) {
    account(op.region, -record_bytes(op.key, (*c)->value()), -1);
    rc = (*c)->del();
  }
  if (rc != 0 && rc != MDB_NOTFOUND)
    return std::unexpected(lmdb_error(rc, "deleting data key for " + region_text(op.region)));
  return {};
}

result<void> batch_applier::apply_op(const write_batch::delete_range_op& op) {
  keys::make_data_key(key_buf_, op.start);
  auto c = data_cursor();
  if (!c) return std::unexpected(c.error());
  auto in_range = [&](std::string_view user_key) {
    return user_key >= op.start && (op.end.empty() || user_key < op.end);
  };
  // Records sort as their user keys do (storage/bucket.hpp): stop at the first key past the end.
  int rc = (*c)->seek(key_buf_);
  while (rc == 0) {
    std::string key{(*c)->key()};
    auto user_key = std::string_view{key}.substr(1);
    if (!keys::is_bucket_key(key)) {
      if (!op.end.empty() && user_key >= op.end) break;
      if (user_key < op.start) {
        rc = (*c)->next();
        continue;
      }
      account(op.region, -record_bytes(user_key, (*c)->value()), -1);
      rc = (*c)->del();
      continue;
    }
    // A bucket at either end of the range may keep some of its keys.
    auto b = bucket::decode((*c)->value());
    if (!b) return corrupt_bucket(op.region);
    bool past_end = false;
    std::string joined;
    auto removed = std::erase_if(b->entries(), [&](const bucket::entry& e) {
      joined.assign(user_key);
      joined.append(e.first);
      if (!op.end.empty() && joined >= op.end) past_end = true;
      if (!in_range(joined)) return false;
      account(op.region, -record_bytes(joined, e.second), -1);
      return true;
    });
    if (removed == 0)
      rc = (*c)->next();
    else if (b->empty())
      rc = (*c)->del();
    else if (rc = (*c)->put_current(key, b->encode()); rc == 0)
      rc = (*c)->next();
    if (past_end) break;
  }
  if (rc != 0 && rc != MDB_NOTFOUND)
    return std::unexpected(lmdb_error(rc, "deleting data range for " + region_text(op.region)));
  return {};
}

result<void> batch_applier::apply_op(const write_batch::move_size_op& op) {
  state_reader states{txn_, dbs_};
  auto usage = states.usage(op.region);
  if (!usage) return std::unexpected(usage.error());
  // What the batch changed before this op counts too.
  const auto& delta = size_deltas_[op.region];
  auto bytes = std::max<std::int64_t>(static_cast<std::int64_t>(usage->bytes) + delta.bytes, 0);
  auto keys = std::max<std::int64_t>(static_cast<std::int64_t>(usage->keys) + delta.keys, 0);
  auto moved = std::min<std::int64_t>(bytes, static_cast<std::int64_t>(op.bytes));
  // Keys go with the bytes in proportion: the split knows the bytes of the moving range
  // exactly but does not count its keys.
  auto moved_keys = bytes == 0
                        ? 0
                        : std::llround(static_cast<double>(keys) * static_cast<double>(moved) /
                                       static_cast<double>(bytes));
  account(op.region, -moved, -moved_keys);
  account(op.to, moved, moved_keys);
  return {};
}

result<void> batch_applier::corrupt_bucket(region_id region) {
  return fail(errc::storage_corrupt,
              "a bucket of long keys of " + region_text(region) + " failed verification");
}

result<void> batch_applier::finish() {
  state_reader states{txn_, dbs_};
  // Deltas are exact, but a region's usage may predate accounting (data written with a none
  // region id, or before keys were counted), so clamp rather than wrap below zero.
  auto clamped = [](std::uint64_t before, std::int64_t delta) {
    return static_cast<std::uint64_t>(
        std::max<std::int64_t>(static_cast<std::int64_t>(before) + delta, 0));
  };
  for (const auto& [region, delta] : size_deltas_) {
    auto usage = states.usage(region);
    if (!usage) return std::unexpected(usage.error());
    region_usage now{clamped(usage->bytes, delta.bytes), clamped(usage->keys, delta.keys)};
    if (auto ok = put_state(region, keys::state_kind::region_size, codec_.encode(now)); !ok)
      return ok;
  }
  return {};
}

}  // namespace rdb::storage
