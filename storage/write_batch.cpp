#include "storage/write_batch.hpp"

#include <algorithm>
#include <utility>

namespace rdb::storage {

namespace {

result<void> check_key(std::string_view key) {
  if (key.size() > max_key_size)
    return fail(errc::invalid_argument, "key of " + std::to_string(key.size()) +
                                            " bytes exceeds the limit of " +
                                            std::to_string(max_key_size) + " bytes");
  return {};
}

result<void> check_value(std::string_view key, std::size_t size) {
  if (size > max_value_size)
    return fail(errc::invalid_argument, "value of " + std::to_string(size) + " bytes for key of " +
                                            std::to_string(key.size()) +
                                            " bytes exceeds the limit of " +
                                            std::to_string(max_value_size) + " bytes");
  return {};
}

result<void> check_entries(const write_batch::append_op& op) {
  for (std::size_t i = 0; i < op.entries.size(); ++i) {
    const auto& e = op.entries[i];
    std::string where =
        "region " + std::to_string(op.region.value()) + " entry " + std::to_string(e.index.value());
    if (e.index.is_none()) return fail(errc::invalid_argument, where + ": index 0 is reserved");
    if (i > 0 && e.index != op.entries[i - 1].index + 1)
      return fail(errc::invalid_argument, where + ": indexes of an append must be consecutive");
    if (e.data.size() > max_value_size)
      return fail(errc::invalid_argument, where + ": payload of " + std::to_string(e.data.size()) +
                                              " bytes exceeds the limit of " +
                                              std::to_string(max_value_size) + " bytes");
  }
  return {};
}

result<void> check_session(const client_session& s) {
  for (std::size_t i = 0; i < s.applied.size(); ++i)
    if (s.applied[i] < s.watermark || (i > 0 && s.applied[i] <= s.applied[i - 1]))
      return fail(errc::invalid_argument,
                  "session of client " + std::to_string(s.client) +
                      ": applied sequence numbers must ascend from the watermark");
  for (std::size_t i = 0; i < s.failed.size(); ++i)
    if ((i > 0 && s.failed[i] <= s.failed[i - 1]) ||
        !std::binary_search(s.applied.begin(), s.applied.end(), s.failed[i]))
      return fail(errc::invalid_argument,
                  "session of client " + std::to_string(s.client) +
                      ": failed sequence numbers must ascend and be applied ones");
  return {};
}

}  // namespace

void write_batch::append(region_id region, std::vector<raft::entry> entries) {
  ops_.emplace_back(append_op{region, std::move(entries)});
}

void write_batch::compact_log(region_id region, raft::log_index up_to) {
  ops_.emplace_back(compact_op{region, up_to});
}

void write_batch::clear_log(region_id region) {
  ops_.emplace_back(clear_log_op{region});
}

void write_batch::set_hard_state(region_id region, const raft::hard_state& hs) {
  ops_.emplace_back(hard_state_op{region, hs});
}

void write_batch::put_session(region_id region, const client_session& s) {
  ops_.emplace_back(session_op{region, s});
}

void write_batch::del_session(region_id region, std::uint64_t client) {
  ops_.emplace_back(del_session_op{region, client});
}

void write_batch::set_session_index(region_id region, raft::log_index index) {
  ops_.emplace_back(session_index_op{region, index});
}

void write_batch::set_apply_state(region_id region, const apply_state& as) {
  ops_.emplace_back(apply_state_op{region, as});
}

void write_batch::set_region_state(region_id region, const region_local_state& rs) {
  ops_.emplace_back(region_state_op{region, rs});
}

void write_batch::destroy_region(region_id region) {
  ops_.emplace_back(destroy_op{region});
}

void write_batch::put(region_id region, std::string_view key, std::string_view value) {
  ops_.emplace_back(put_op{region, std::string{key}, std::string{value}});
}

void write_batch::del(region_id region, std::string_view key) {
  ops_.emplace_back(del_op{region, std::string{key}});
}

void write_batch::delete_range(region_id region, std::string_view start, std::string_view end) {
  ops_.emplace_back(delete_range_op{region, std::string{start}, std::string{end}});
}

void write_batch::move_size(region_id from, region_id to, std::uint64_t bytes) {
  ops_.emplace_back(move_size_op{from, to, bytes});
}

result<void> write_batch::validate() const {
  for (const auto& o : ops_) {
    result<void> ok;
    if (const auto* p = std::get_if<put_op>(&o)) {
      ok = check_key(p->key);
      if (ok) ok = check_value(p->key, p->value.size());
    } else if (const auto* d = std::get_if<del_op>(&o)) {
      ok = check_key(d->key);
    } else if (const auto* r = std::get_if<delete_range_op>(&o)) {
      ok = check_key(r->start);
      if (ok) ok = check_key(r->end);
    } else if (const auto* a = std::get_if<append_op>(&o)) {
      ok = check_entries(*a);
    } else if (const auto* c = std::get_if<session_op>(&o)) {
      ok = check_session(c->session);
    } else if (const auto* m = std::get_if<move_size_op>(&o); m && m->to.is_none()) {
      ok = fail(errc::invalid_argument, "a size moves to a region id");
    } else if (const auto* s = std::get_if<region_state_op>(&o);
               s && s->rs.region.id != s->region) {
      ok = fail(errc::invalid_argument,
                "region state of region " + std::to_string(s->rs.region.id.value()) +
                    " written under region " + std::to_string(s->region.value()));
    }
    // Raft log and state records need a real region; data may skip size accounting.
    bool data_op = std::holds_alternative<put_op>(o) || std::holds_alternative<del_op>(o) ||
                   std::holds_alternative<delete_range_op>(o);
    if (ok && !data_op && std::visit([](const auto& op) { return op.region.is_none(); }, o))
      ok = fail(errc::invalid_argument, "raft log and state operations need a region id");
    if (!ok) return ok;
  }
  return {};
}

}  // namespace rdb::storage
