#include "actors/region/region_snapshot.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "actors/region/command_codec.hpp"
#include "actors/region/little_endian.hpp"
#include "actors/region/raft_storage.hpp"
#include "storage/record_codec.hpp"

namespace rdb {

namespace {

storage::result<raft::term_id> term_at(const storage::log_engine& log, region_id region,
                                       raft::log_index i) {
  if (auto t = log.truncated(region); t && t->truncated_index == i) return t->truncated_term;
  return log.term(region, i);
}

}  // namespace

std::string encode_descriptor(const snapshot_descriptor& d) {
  std::string out;
  little_endian::append<std::uint64_t>(out, d.bytes);
  little_endian::append<std::uint32_t>(out, d.crc);
  little_endian::append<std::uint32_t>(out, static_cast<std::uint32_t>(d.path.size()));
  out += d.path;
  storage::record_codec codec;
  out += codec.encode(d.region);
  return out;
}

std::optional<snapshot_descriptor> decode_descriptor(const std::string& data) {
  std::string_view in{data};
  if (in.size() < 16) return std::nullopt;
  snapshot_descriptor d;
  d.bytes = little_endian::load<std::uint64_t>(in);
  d.crc = little_endian::load<std::uint32_t>(in.substr(8));
  auto len = little_endian::load<std::uint32_t>(in.substr(12));
  if (in.size() - 16 < len) return std::nullopt;
  d.path = std::string{in.substr(16, len)};
  auto rs = storage::record_codec::decode_region_state(in.substr(16 + len));
  if (!rs) return std::nullopt;
  d.region = std::move(*rs);
  return d;
}

storage::result<void> replay_sessions(session_table& table, const storage::log_engine& log,
                                      region_id region, raft::log_index from, raft::log_index to) {
  auto fail = [&](const std::string& why) {
    return storage::fail(
        storage::errc::storage_corrupt,
        "replaying client sessions of region " + std::to_string(region.value()) + ": " + why);
  };
  auto next = from + 1;
  while (next <= to) {
    auto ents = log.entries(region, next, to + 1, std::uint64_t{4} << 20);
    if (!ents)
      return fail("from index " + std::to_string(next.value()) + ": " + ents.error().message);
    for (const auto& e : *ents) {
      if (e.type != raft::entry_type::normal || e.data.empty()) continue;
      auto cmd = command_codec::decode(e.data);
      // Applied once, so decoded once: one that no longer decodes was damaged since.
      if (!cmd)
        return fail("applied entry " + std::to_string(e.index.value()) + ": " + cmd.error().detail);
      if (cmd->kind == command_kind::put || cmd->kind == command_kind::del ||
          cmd->kind == command_kind::cas)
        table.admit(cmd->client.value(), cmd->seq, cmd->first_incomplete, e.index);
    }
    next = ents->back().index + 1;
  }
  return {};
}

storage::result<raft::snapshot> build_region_snapshot(const storage::engines& st, region_id region,
                                                      const session_table::limits& limits,
                                                      const std::string& path) {
  auto missing = [&](const std::string& what) {
    return storage::fail(storage::errc::not_found,
                         "region " + std::to_string(region.value()) + " has no " + what + " here");
  };
  storage::region_local_state local;
  raft::log_index applied;
  raft::term_id applied_term;
  raft::log_index session_index;
  std::vector<storage::client_session> sessions;
  std::optional<storage::snapshot_writer> out;
  {
    // One view for everything of the state machine; released as soon as the data is copied.
    auto view = st.kv->read();
    if (!view) return std::unexpected{view.error()};
    auto l = view->load_region_state(region);
    if (!l) return std::unexpected{l.error()};
    auto a = view->load_apply_state(region);
    if (!a) return std::unexpected{a.error()};
    if (!*l) return missing("region state");
    if (!*a) return missing("apply state");
    local = std::move(**l);
    applied = (*a)->applied_index;
    auto i = view->load_session_index(region);
    if (!i) return std::unexpected{i.error()};
    auto s = view->load_client_sessions(region);
    if (!s) return std::unexpected{s.error()};
    session_index = *i;
    sessions = std::move(*s);
    // Compaction never passes a durable apply, so the applied entry's term is still known.
    auto term = term_at(*st.raft, region, applied);
    if (!term) return std::unexpected{term.error()};
    applied_term = *term;
    auto w = storage::snapshot_writer::create(path, local, applied, applied_term);
    if (!w) return std::unexpected{w.error()};
    out.emplace(std::move(*w));
    storage::result<void> written;
    auto copied = view->for_each(local.region.start_key, local.region.end_key,
                                 [&](std::string_view k, std::string_view v) {
                                   written = out->pair(k, v);
                                   return written.has_value();
                                 });
    if (!copied) return std::unexpected{copied.error()};
    if (!written) return std::unexpected{written.error()};
  }
  session_table table{limits};
  table.load(std::move(sessions), session_index);
  auto truncated = st.raft->truncated(region);
  auto from = std::max(session_index, truncated ? truncated->truncated_index : raft::log_index{});
  if (auto r = replay_sessions(table, *st.raft, region, from, applied); !r)
    return std::unexpected{r.error()};
  for (const auto& s : table.all())
    if (auto r = out->session(s); !r) return std::unexpected{r.error()};
  auto info = out->finish();
  if (!info) return std::unexpected{info.error()};
  raft::snapshot snap;
  snap.meta.index = applied;
  snap.meta.term = applied_term;
  snap.meta.conf = raft_storage::conf_state_of(local.region);
  snap.data = encode_descriptor(snapshot_descriptor{path, info->bytes, info->crc, local});
  return snap;
}

}  // namespace rdb
