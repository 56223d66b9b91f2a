#include "tests/support/direct_transport.hpp"

#include <filesystem>
#include <system_error>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/common/errors.hpp"
#include "actors/region/region_snapshot.hpp"

namespace rdb::test {

void direct_network::add(store_id store, region_id region, region_peer_actor peer) {
  std::lock_guard<std::mutex> guard{mtx_};
  peers_[{store, region}] = std::move(peer);
}

void direct_network::remove_store(store_id store) {
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto i = peers_.begin(); i != peers_.end();) {
    if (i->first.first == store)
      i = peers_.erase(i);
    else
      ++i;
  }
}

void direct_network::isolate(store_id store, bool cut) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (cut)
    isolated_.insert(store);
  else
    isolated_.erase(store);
}

std::optional<region_peer_actor> direct_network::route(const raft_envelope& env) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = peers_.find({env.to.store, env.region});
  if (i == peers_.end() || isolated_.count(env.to.store) || isolated_.count(env.from.store)) {
    ++dropped_;
    return std::nullopt;
  }
  ++delivered_;
  return i->second;
}

std::uint64_t direct_network::delivered() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return delivered_;
}

std::uint64_t direct_network::dropped() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return dropped_;
}

namespace {

transport_actor::behavior_type direct_transport(transport_actor::pointer self,
                                                std::shared_ptr<direct_network> net) {
  auto deliver = [=](std::vector<raft_envelope>& envs) {
    for (auto& env : envs)
      if (auto dest = net->route(env)) self->send(*dest, raft_msg_atom::value, std::move(env));
  };
  return {
      [=](send_raft_atom, std::vector<raft_envelope>& envs) { deliver(envs); },
      [=](send_snapshot_atom, raft_envelope& env) {
        // The file is copied as the receiving store would stage it, so the receiver's install
        // (which deletes its copy) leaves the sender's file alone.
        auto origin = caf::actor_cast<region_peer_actor>(self->current_sender());
        auto dest = net->route(env);
        auto d = decode_descriptor(env.msg.snapshot.data);
        std::error_code ec;
        if (dest && d) {
          auto copy = d->path + ".to-" + std::to_string(env.to.store.value());
          std::filesystem::copy_file(d->path, copy,
                                     std::filesystem::copy_options::overwrite_existing, ec);
          d->path = copy;
        }
        bool ok = dest && d && !ec;
        if (ok) {
          env.msg.snapshot.data = encode_descriptor(*d);
          self->send(*dest, raft_msg_atom::value, std::move(env));
        }
        if (origin) self->send(origin, snapshot_status_atom::value, env.to.id, ok);
      },
      [=](snapshot_chunk_atom, const snapshot_chunk& c) -> caf::result<bool> {
        return to_error(make_request_error(errc::invalid_argument, c.region,
                                           "the direct transport takes whole snapshots"));
      },
      [=](deliver_atom, raft_batch& batch) {
        for (const auto& beat : batch.beats)
          batch.envelopes.push_back(expand_beat(beat, batch.from_store, batch.to_store));
        deliver(batch.envelopes);
      },
      [=](connect_atom, store_id, const transport_inbox_actor&) {
        // Every store is reachable through the shared network already.
      },
      [=](disconnect_atom, store_id) {
        // The shared network has no connections to lose.
      },
      [=](partition_atom, const std::vector<store_id>&) -> caf::result<bool> {
        // Tests cut the shared network itself (direct_network).
        return to_error(make_request_error(errc::invalid_argument, region_id{},
                                           "the direct transport takes no partitions"));
      },
  };
}

}  // namespace

transport_actor spawn_direct_transport(caf::actor_system& sys, store_id,
                                       std::shared_ptr<direct_network> net) {
  return sys.spawn(direct_transport, std::move(net));
}

}  // namespace rdb::test
