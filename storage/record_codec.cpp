#include "storage/record_codec.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "raft_log_generated.h"
#include "raft_state_generated.h"
#include "store_meta_generated.h"

namespace rdb::storage {

namespace {

/// Runs `read(verifier-checked root)` on `bytes`, copying them to an 8-aligned buffer first
/// when LMDB handed out a less aligned pointer. Returns nothing if verification fails.
template <class Table, class Read>
auto verified(std::string_view bytes, Read read) -> decltype(read(std::declval<const Table*>())) {
  // FlatBuffers cannot address more than 2 GiB; no record of ours comes near that.
  if (bytes.empty() || bytes.size() >= FLATBUFFERS_MAX_BUFFER_SIZE) return std::nullopt;
  std::vector<std::uint64_t> copy;
  const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
  if (reinterpret_cast<std::uintptr_t>(data) % alignof(std::uint64_t) != 0) {
    copy.resize((bytes.size() + 7) / 8);
    std::memcpy(copy.data(), bytes.data(), bytes.size());
    data = reinterpret_cast<const std::uint8_t*>(copy.data());
  }
  flatbuffers::Verifier verifier{data, bytes.size()};
  if (!verifier.VerifyBuffer<Table>(nullptr)) return std::nullopt;
  return read(flatbuffers::GetRoot<Table>(data));
}

std::string to_string(const flatbuffers::Vector<std::uint8_t>* v) {
  if (!v) return {};
  return std::string{reinterpret_cast<const char*>(v->data()), v->size()};
}

}  // namespace

std::string_view record_codec::finished() const {
  return {reinterpret_cast<const char*>(builder_.GetBufferPointer()), builder_.GetSize()};
}

std::string_view record_codec::encode(const raft::entry& e) {
  builder_.Clear();
  auto data =
      builder_.CreateVector(reinterpret_cast<const std::uint8_t*>(e.data.data()), e.data.size());
  builder_.Finish(fb::CreateLogEntry(builder_, e.term.value(), e.index.value(),
                                     static_cast<fb::EntryType>(e.type), data));
  return finished();
}

std::string_view record_codec::encode(const raft::hard_state& hs) {
  builder_.Clear();
  builder_.Finish(
      fb::CreateHardState(builder_, hs.term.value(), hs.vote.value(), hs.commit.value()));
  return finished();
}

std::string_view record_codec::encode(const apply_state& as) {
  builder_.Clear();
  builder_.Finish(fb::CreateApplyState(builder_, as.applied_index.value(),
                                       as.truncated_index.value(), as.truncated_term.value()));
  return finished();
}

std::string_view record_codec::encode(const region_local_state& rs) {
  builder_.Clear();
  const auto& r = rs.region;
  auto bytes = [&](const std::string& s) {
    return builder_.CreateVector(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  };
  auto start = bytes(r.start_key);
  auto end = bytes(r.end_key);
  std::vector<fb::Peer> peers;
  peers.reserve(r.peers.size());
  for (const auto& p : r.peers)
    peers.emplace_back(p.id.value(), p.store.value(), static_cast<fb::PeerRole>(p.role));
  auto peer_vec = builder_.CreateVectorOfStructs(peers);
  fb::Epoch epoch{r.epoch.conf_ver, r.epoch.version};
  auto meta = fb::CreateRegionMeta(builder_, r.id.value(), start, end, &epoch, peer_vec);
  builder_.Finish(fb::CreateRegionLocalState(builder_, meta, static_cast<fb::PeerState>(rs.state)));
  return finished();
}

std::string_view record_codec::encode(const store_ident& ident) {
  builder_.Clear();
  builder_.Finish(
      fb::CreateStoreIdent(builder_, ident.cluster.value(), ident.store.value(), ident.format));
  return finished();
}

std::string_view record_codec::encode(const region_usage& usage) {
  builder_.Clear();
  builder_.Finish(fb::CreateRegionSize(builder_, usage.bytes, usage.keys));
  return finished();
}

std::optional<raft::entry> record_codec::decode_entry(std::string_view bytes) {
  return verified<fb::LogEntry>(bytes, [](const fb::LogEntry* e) -> std::optional<raft::entry> {
    if (e->type() > fb::EntryType::MAX) return std::nullopt;
    return raft::entry{raft::term_id{e->term()}, raft::log_index{e->index()},
                       static_cast<raft::entry_type>(e->type()), to_string(e->data())};
  });
}

std::optional<std::pair<raft::term_id, raft::log_index>> record_codec::decode_entry_position(
    std::string_view bytes) {
  return verified<fb::LogEntry>(
      bytes, [](const fb::LogEntry* e) -> std::optional<std::pair<raft::term_id, raft::log_index>> {
        return std::pair{raft::term_id{e->term()}, raft::log_index{e->index()}};
      });
}

std::optional<raft::hard_state> record_codec::decode_hard_state(std::string_view bytes) {
  return verified<fb::HardState>(
      bytes, [](const fb::HardState* h) -> std::optional<raft::hard_state> {
        return raft::hard_state{raft::term_id{h->term()}, raft::node_id{h->vote()},
                                raft::log_index{h->commit()}};
      });
}

std::optional<apply_state> record_codec::decode_apply_state(std::string_view bytes) {
  return verified<fb::ApplyState>(bytes, [](const fb::ApplyState* a) -> std::optional<apply_state> {
    return apply_state{raft::log_index{a->applied_index()}, raft::log_index{a->truncated_index()},
                       raft::term_id{a->truncated_term()}};
  });
}

std::optional<region_local_state> record_codec::decode_region_state(std::string_view bytes) {
  return verified<fb::RegionLocalState>(
      bytes, [](const fb::RegionLocalState* s) -> std::optional<region_local_state> {
        const auto* r = s->region();
        if (!r || s->state() > fb::PeerState::MAX) return std::nullopt;
        region_local_state out;
        out.state = static_cast<peer_state>(s->state());
        out.region.id = region_id{r->id()};
        out.region.start_key = to_string(r->start_key());
        out.region.end_key = to_string(r->end_key());
        if (const auto* e = r->epoch()) out.region.epoch = {e->conf_ver(), e->version()};
        if (const auto* peers = r->peers()) {
          for (const auto* p : *peers) {
            if (p->role() > fb::PeerRole::MAX) return std::nullopt;
            out.region.peers.push_back(
                {peer_id{p->id()}, store_id{p->store_id()}, static_cast<peer_role>(p->role())});
          }
        }
        return out;
      });
}

std::string_view record_codec::encode(const client_session& s) {
  builder_.Clear();
  auto applied = builder_.CreateVector(s.applied);
  auto failed = builder_.CreateVector(s.failed);
  builder_.Finish(
      fb::CreateClientSession(builder_, s.client, s.watermark, s.last_index, applied, failed));
  return finished();
}

std::string_view record_codec::encode_session_index(raft::log_index index) {
  builder_.Clear();
  builder_.Finish(fb::CreateSessionIndex(builder_, index.value()));
  return finished();
}

std::optional<raft::log_index> record_codec::decode_session_index(std::string_view bytes) {
  return verified<fb::SessionIndex>(
      bytes, [](const fb::SessionIndex* s) -> std::optional<raft::log_index> {
        return raft::log_index{s->index()};
      });
}

std::optional<client_session> record_codec::decode_client_session(std::string_view bytes) {
  return verified<fb::ClientSession>(
      bytes, [](const fb::ClientSession* s) -> std::optional<client_session> {
        client_session out{s->client(), s->watermark(), s->last_index(), {}, {}};
        if (const auto* applied = s->applied()) {
          out.applied.reserve(applied->size());
          for (auto seq : *applied) {
            if (seq < out.watermark || (!out.applied.empty() && seq <= out.applied.back()))
              return std::nullopt;
            out.applied.push_back(seq);
          }
        }
        if (const auto* failed = s->failed()) {
          for (auto seq : *failed) {
            if ((!out.failed.empty() && seq <= out.failed.back()) ||
                !std::binary_search(out.applied.begin(), out.applied.end(), seq))
              return std::nullopt;
            out.failed.push_back(seq);
          }
        }
        return out;
      });
}

std::optional<store_ident> record_codec::decode_store_ident(std::string_view bytes) {
  return verified<fb::StoreIdent>(bytes, [](const fb::StoreIdent* s) -> std::optional<store_ident> {
    return store_ident{cluster_id{s->cluster_id()}, store_id{s->store_id()}, s->format_version()};
  });
}

std::optional<region_usage> record_codec::decode_region_usage(std::string_view bytes) {
  return verified<fb::RegionSize>(
      bytes, [](const fb::RegionSize* s) -> std::optional<region_usage> {
        return region_usage{s->approximate_size(), s->approximate_keys()};
      });
}

}  // namespace rdb::storage
