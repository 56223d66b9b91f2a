#include "pd/record_codec.hpp"

#include <cstring>
#include <string>
#include <vector>

#include "pd_generated.h"

namespace rdb::pd {

namespace {

/// Runs `read(verified root)` on `bytes`, copied to an 8-aligned buffer: PD reads records only
/// at start-up, so the copy costs nothing that matters and saves an alignment check.
template <class Table, class Read>
auto verified(std::string_view bytes, Read read) -> decltype(read(std::declval<const Table*>())) {
  if (bytes.empty() || bytes.size() >= FLATBUFFERS_MAX_BUFFER_SIZE) return std::nullopt;
  std::vector<std::uint64_t> copy((bytes.size() + 7) / 8);
  std::memcpy(copy.data(), bytes.data(), bytes.size());
  const auto* data = reinterpret_cast<const std::uint8_t*>(copy.data());
  flatbuffers::Verifier verifier{data, bytes.size()};
  if (!verifier.VerifyBuffer<Table>(nullptr)) return std::nullopt;
  return read(flatbuffers::GetRoot<Table>(data));
}

std::string to_string(const flatbuffers::Vector<std::uint8_t>* v) {
  return v ? std::string{reinterpret_cast<const char*>(v->data()), v->size()} : std::string{};
}

flatbuffers::Offset<flatbuffers::Vector<std::uint8_t>> bytes(flatbuffers::FlatBufferBuilder& b,
                                                             const std::string& s) {
  return b.CreateVector(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

fb::Peer to_fb(const storage::region_peer& p) {
  return fb::Peer{p.id.value(), p.store.value(), static_cast<fb::PeerRole>(p.role)};
}

std::optional<storage::region_peer> from_fb(const fb::Peer& p) {
  if (p.role() > fb::PeerRole::MAX) return std::nullopt;
  return storage::region_peer{peer_id{p.id()}, store_id{p.store_id()},
                              static_cast<storage::peer_role>(p.role())};
}

}  // namespace

std::string_view record_codec::finished() const {
  return {reinterpret_cast<const char*>(builder_.GetBufferPointer()), builder_.GetSize()};
}

std::string_view record_codec::encode(const bootstrap_request& layout) {
  builder_.Clear();
  std::vector<flatbuffers::Offset<fb::PdBytes>> keys;
  for (const auto& k : layout.split_keys)
    keys.push_back(fb::CreatePdBytes(builder_, bytes(builder_, k)));
  auto split_keys = builder_.CreateVector(keys);
  auto stores = builder_.CreateVectorOfStrings(layout.stores);
  builder_.Finish(
      fb::CreatePdBootstrap(builder_, layout.cluster.value(), split_keys, layout.replicas, stores));
  return finished();
}

std::string_view record_codec::encode_high_water(std::uint64_t high_water) {
  builder_.Clear();
  builder_.Finish(fb::CreatePdIdAlloc(builder_, high_water));
  return finished();
}

std::string_view record_codec::encode(const store_info& store) {
  builder_.Clear();
  auto address = builder_.CreateString(store.address);
  auto client_address = builder_.CreateString(store.client_address);
  auto state =
      store.state == store_state::tombstone ? fb::PdStoreState::Tombstone : fb::PdStoreState::Up;
  builder_.Finish(fb::CreatePdStore(builder_, store.id.value(), address, state, client_address,
                                    store.decommissioning));
  return finished();
}

std::string_view record_codec::encode(const region_info& region) {
  builder_.Clear();
  const auto& m = region.meta;
  auto start = bytes(builder_, m.start_key);
  auto end = bytes(builder_, m.end_key);
  std::vector<fb::Peer> peers;
  for (const auto& p : m.peers)
    peers.push_back(to_fb(p));
  auto peer_vec = builder_.CreateVectorOfStructs(peers);
  fb::Epoch epoch{m.epoch.conf_ver, m.epoch.version};
  auto meta = fb::CreateRegionMeta(builder_, m.id.value(), start, end, &epoch, peer_vec);
  auto leader = to_fb(region.leader);
  builder_.Finish(fb::CreatePdRegion(builder_, meta, &leader, region.approximate_size,
                                     region.approximate_keys));
  return finished();
}

std::optional<bootstrap_request> record_codec::decode_bootstrap(std::string_view bytes) {
  return verified<fb::PdBootstrap>(
      bytes, [](const fb::PdBootstrap* b) -> std::optional<bootstrap_request> {
        bootstrap_request out;
        out.cluster = cluster_id{b->cluster_id()};
        out.replicas = b->replicas();
        if (b->split_keys())
          for (const auto* k : *b->split_keys())
            out.split_keys.push_back(to_string(k->data()));
        if (b->stores())
          for (const auto* s : *b->stores())
            out.stores.push_back(s->str());
        return out;
      });
}

std::optional<std::uint64_t> record_codec::decode_high_water(std::string_view bytes) {
  return verified<fb::PdIdAlloc>(bytes, [](const fb::PdIdAlloc* a) -> std::optional<std::uint64_t> {
    return a->high_water();
  });
}

std::optional<store_info> record_codec::decode_store(std::string_view bytes) {
  return verified<fb::PdStore>(bytes, [](const fb::PdStore* s) -> std::optional<store_info> {
    if (s->state() > fb::PdStoreState::MAX || !s->address()) return std::nullopt;
    store_info out;
    out.id = store_id{s->id()};
    out.address = s->address()->str();
    if (s->client_address()) out.client_address = s->client_address()->str();
    out.state =
        s->state() == fb::PdStoreState::Tombstone ? store_state::tombstone : store_state::up;
    out.decommissioning = s->decommissioning();
    out.stats.store = out.id;
    return out;
  });
}

std::optional<region_info> record_codec::decode_region(std::string_view bytes) {
  return verified<fb::PdRegion>(bytes, [](const fb::PdRegion* r) -> std::optional<region_info> {
    const auto* m = r->meta();
    if (!m || !m->epoch() || !r->leader()) return std::nullopt;
    region_info out;
    out.meta.id = region_id{m->id()};
    out.meta.start_key = to_string(m->start_key());
    out.meta.end_key = to_string(m->end_key());
    out.meta.epoch = storage::region_epoch{m->epoch()->conf_ver(), m->epoch()->version()};
    if (m->peers()) {
      for (const auto* p : *m->peers()) {
        auto peer = from_fb(*p);
        if (!peer) return std::nullopt;
        out.meta.peers.push_back(*peer);
      }
    }
    auto leader = from_fb(*r->leader());
    if (!leader) return std::nullopt;
    out.leader = *leader;
    out.approximate_size = r->approximate_size();
    out.approximate_keys = r->approximate_keys();
    return out;
  });
}

}  // namespace rdb::pd
