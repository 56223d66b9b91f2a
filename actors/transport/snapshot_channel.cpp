#include "actors/transport/snapshot_channel.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <utility>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/common/errors.hpp"
#include "actors/common/log.hpp"
#include "actors/region/region_peer_interface.hpp"
#include "actors/region/region_snapshot.hpp"
#include "storage/snapshot_file.hpp"

namespace rdb {

namespace {

// -- receiving ---------------------------------------------------------------------------------

struct staged {
  std::string path;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file{nullptr, &std::fclose};
  std::uint64_t size = 0;
};

struct receiver_state {
  static inline const char* name = "rdb.snapshot_receiver";

  store_id self;
  std::shared_ptr<route_holder> routes;
  /// Delivers a checked snapshot message (the transport).
  raft_sink_actor deliver;
  snapshot_channel_config cfg;
  /// Transfers under way, by sending store and region.
  std::map<std::pair<store_id, region_id>, staged> transfers;
  std::uint64_t next_file = 1;
};

using receiver_pointer = snapshot_receiver_actor::stateful_pointer<receiver_state>;

caf::error refuse(region_id region, const std::string& why) {
  log(log_level::warning, "region", region.value(), "refuses a snapshot: " + why);
  return to_error(make_request_error(errc::invalid_argument, region, why));
}

/// Checks the staged file against its descriptor and hands the message to the local peer.
caf::result<bool> complete(receiver_pointer self, staged st, raft_envelope& env) {
  auto region = env.region;
  auto d = decode_descriptor(env.msg.snapshot.data);
  if (!d) return refuse(region, "its descriptor does not decode");
  auto checked = storage::verify_snapshot_file(st.path);
  if (!checked || checked->bytes != d->bytes || checked->crc != d->crc) {
    std::remove(st.path.c_str());
    return refuse(region, "the received file does not match its checksum");
  }
  if (env.to.store != self->state.self) {
    std::remove(st.path.c_str());
    return refuse(region, "it is addressed to store " + std::to_string(env.to.store.value()));
  }
  // Installing it would clear the snapshot's range, which here holds another region's data.
  const auto& m = d->region.region;
  if (auto table = self->state.routes->load()) {
    for (const auto& other : table->overlapping(m.start_key, m.end_key)) {
      if (other.id == region) continue;
      std::remove(st.path.c_str());
      return refuse(region, "its range overlaps region " + std::to_string(other.id.value()) +
                                " on this store");
    }
  }
  d->path = st.path;
  env.msg.snapshot.data = encode_descriptor(*d);
  self->send(self->state.deliver, raft_msg_atom::value, std::move(env));
  return true;
}

caf::result<bool> on_chunk(receiver_pointer self, snapshot_chunk& c) {
  auto& s = self->state;
  auto key = std::pair{c.from_store, c.region};
  if (c.offset == 0) {
    if (auto old = s.transfers.find(key); old != s.transfers.end()) {
      std::remove(old->second.path.c_str());
      s.transfers.erase(old);
    }
    staged st;
    st.path = s.cfg.dir + "/recv-" + std::to_string(c.region.value()) + "-" +
              std::to_string(s.next_file++) + ".snap";
    st.file.reset(std::fopen(st.path.c_str(), "wb"));
    if (!st.file) return refuse(c.region, "cannot create " + st.path);
    s.transfers.emplace(key, std::move(st));
  }
  auto i = s.transfers.find(key);
  if (i == s.transfers.end() || i->second.size != c.offset)
    return refuse(c.region, "chunk at offset " + std::to_string(c.offset) +
                                " does not continue the transfer from store " +
                                std::to_string(c.from_store.value()));
  auto& st = i->second;
  if (std::fwrite(c.data.data(), 1, c.data.size(), st.file.get()) != c.data.size()) {
    std::remove(st.path.c_str());
    s.transfers.erase(i);
    return refuse(c.region, "cannot write the staged file");
  }
  st.size += c.data.size();
  if (!c.last) return true;
  auto done = std::move(st);
  s.transfers.erase(i);
  if (std::fclose(done.file.release()) != 0) {
    std::remove(done.path.c_str());
    return refuse(c.region, "cannot write the staged file");
  }
  return complete(self, std::move(done), c.env);
}

// -- sending -----------------------------------------------------------------------------------

struct stream_state {
  static inline const char* name = "rdb.snapshot_stream";

  store_id self;
  transport_inbox_actor inbox;
  raft_envelope env;
  caf::strong_actor_ptr origin;
  snapshot_channel_config cfg;
  std::ifstream file;
  std::uint64_t offset = 0;
  std::size_t in_flight = 0;
  bool all_sent = false;
  bool finished = false;
  /// Under a rate limit: when the stream started, and whether it waits for its next slot.
  std::chrono::steady_clock::time_point started;
  bool paced = false;
};

using stream_pointer = caf::stateful_actor<stream_state>*;

void finish(stream_pointer self, bool ok) {
  auto& s = self->state;
  if (s.finished) return;
  s.finished = true;
  auto to = "snapshot to store " + std::to_string(s.env.to.store.value());
  if (!ok) {
    log(log_level::warning, "region", s.env.region.value(), to + " failed");
  } else {
    // Size, time and rate of each transfer: what an operator tunes the rate limit by.
    auto ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s.started)
            .count();
    char rate[128];
    std::snprintf(rate, sizeof rate, " sent: %llu bytes in %.0f ms (%.1f MiB/s)",
                  static_cast<unsigned long long>(s.offset), ms,
                  ms > 0 ? static_cast<double>(s.offset) / (1 << 20) / (ms / 1000) : 0.0);
    log(log_level::info, "region", s.env.region.value(), to + rate);
  }
  if (auto peer = caf::actor_cast<region_peer_actor>(s.origin))
    self->send(peer, snapshot_status_atom::value, s.env.to.id, ok);
  self->quit();
}

/// Whether the rate limit lets the next chunk go now; if not, arranges to be woken when it does.
bool within_rate(stream_pointer self) {
  auto& s = self->state;
  if (s.cfg.max_bytes_per_sec == 0) return true;
  auto due =
      s.started +
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(
          static_cast<double>(s.offset) / static_cast<double>(s.cfg.max_bytes_per_sec)));
  auto now = std::chrono::steady_clock::now();
  if (now >= due) return true;
  if (!s.paced) {
    s.paced = true;
    self->delayed_send(self, due - now, flush_atom::value);
  }
  return false;
}

void pump(stream_pointer self) {
  auto& s = self->state;
  while (!s.finished && !s.all_sent && s.in_flight < s.cfg.window && within_rate(self)) {
    snapshot_chunk c;
    c.from_store = s.self;
    c.region = s.env.region;
    c.offset = s.offset;
    c.data.resize(s.cfg.chunk_bytes);
    s.file.read(c.data.data(), static_cast<std::streamsize>(c.data.size()));
    c.data.resize(static_cast<std::size_t>(s.file.gcount()));
    if (s.file.bad()) return finish(self, false);
    s.offset += c.data.size();
    if (s.file.eof() || s.file.peek() == std::char_traits<char>::eof()) {
      c.last = true;
      c.env = s.env;
      s.all_sent = true;
    }
    ++s.in_flight;
    self->request(s.inbox, s.cfg.chunk_timeout, snapshot_chunk_atom::value, std::move(c))
        .then(
            [=](bool) {
              auto& st = self->state;
              --st.in_flight;
              if (st.all_sent && st.in_flight == 0) return finish(self, true);
              pump(self);
            },
            [=](caf::error&) { finish(self, false); });
  }
}

caf::behavior stream_fn(stream_pointer self, store_id me, transport_inbox_actor inbox,
                        raft_envelope env, caf::strong_actor_ptr origin,
                        snapshot_channel_config cfg) {
  auto& s = self->state;
  s.self = me;
  s.inbox = std::move(inbox);
  s.env = std::move(env);
  s.origin = std::move(origin);
  s.cfg = std::move(cfg);
  auto d = decode_descriptor(s.env.msg.snapshot.data);
  if (d) s.file.open(d->path, std::ios::binary);
  if (!d || !s.file) {
    finish(self, false);
    return {};
  }
  s.started = std::chrono::steady_clock::now();
  pump(self);
  // Nothing but the chunks' answers (and the rate limit's timer) drives a stream; an exit
  // message ends it.
  return {
      [=](stop_atom) { finish(self, false); },
      [=](flush_atom) {
        self->state.paced = false;
        pump(self);
      },
  };
}

}  // namespace

snapshot_receiver_actor spawn_snapshot_receiver(caf::actor_system& sys, store_id self,
                                                std::shared_ptr<route_holder> routes,
                                                raft_sink_actor deliver,
                                                snapshot_channel_config cfg) {
  auto fn = [=](receiver_pointer me) -> snapshot_receiver_actor::behavior_type {
    me->state.self = self;
    me->state.routes = routes;
    me->state.deliver = deliver;
    me->state.cfg = cfg;
    return {[=](snapshot_chunk_atom, snapshot_chunk& c) { return on_chunk(me, c); }};
  };
  if (!cfg.detached) return sys.spawn(fn);
  return sys.spawn<caf::detached>(fn);
}

caf::actor spawn_snapshot_stream(caf::actor_system& sys, store_id self, transport_inbox_actor inbox,
                                 raft_envelope env, caf::strong_actor_ptr origin,
                                 snapshot_channel_config cfg) {
  if (!cfg.detached)
    return sys.spawn(stream_fn, self, std::move(inbox), std::move(env), std::move(origin),
                     std::move(cfg));
  return sys.spawn<caf::detached>(stream_fn, self, std::move(inbox), std::move(env),
                                  std::move(origin), std::move(cfg));
}

}  // namespace rdb
