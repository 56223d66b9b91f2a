#include "actors/transport/transport_outbox.hpp"

#include <algorithm>
#include <utility>

namespace rdb {

void transport_outbox::connect(store_id dest) {
  auto& d = dests_[dest];
  d.in_flight = 0;
  d.stalling = false;
}

void transport_outbox::disconnect(store_id dest) {
  auto i = dests_.find(dest);
  if (i == dests_.end()) return;
  stats_.dropped_unreachable += i->second.queue.size() + i->second.beats.size();
  dests_.erase(i);
}

transport_outbox::add_result transport_outbox::add(raft_envelope env) {
  auto i = dests_.find(env.to.store);
  if (i == dests_.end()) {
    ++stats_.dropped_unreachable;
    return add_result::unreachable;
  }
  auto& d = i->second;
  if (d.queue.size() + d.beats.size() >= cfg_.max_queued) {
    ++stats_.dropped_full;
    return add_result::dropped;
  }
  auto beat = compact_beat(env);
  if (beat) {
    d.queued_bytes += beat_size;
    d.beats.push_back(*beat);
  } else {
    d.queued_bytes += approximate_size(env);
    d.queue.push_back(std::move(env));
  }
  bool full = d.queue.size() >= cfg_.batch_envelopes || d.queued_bytes >= cfg_.batch_bytes;
  if (full && d.in_flight < cfg_.window) return add_result::send_now;
  return beat ? add_result::beat_queued : add_result::queued;
}

std::optional<raft_batch> transport_outbox::take(store_id dest) {
  auto i = dests_.find(dest);
  if (i == dests_.end()) return std::nullopt;
  auto& d = i->second;
  if ((d.queue.empty() && d.beats.empty()) || d.in_flight >= cfg_.window) return std::nullopt;
  raft_batch out;
  out.from_store = self_;
  out.to_store = dest;
  std::size_t bytes = 0;
  while (!d.queue.empty() && out.envelopes.size() < cfg_.batch_envelopes &&
         bytes < cfg_.batch_bytes) {
    auto size = approximate_size(d.queue.front());
    bytes += size;
    d.queued_bytes -= size;
    out.envelopes.push_back(std::move(d.queue.front()));
    d.queue.pop_front();
  }
  // Beats fill what room the envelopes left; a full batch leaves them for the next one.
  std::size_t beats = 0;
  if (out.envelopes.size() < cfg_.batch_envelopes && bytes < cfg_.batch_bytes)
    beats = std::min(d.beats.size(), (cfg_.batch_bytes - bytes + beat_size - 1) / beat_size);
  out.beats.assign(d.beats.begin(), d.beats.begin() + static_cast<std::ptrdiff_t>(beats));
  d.beats.erase(d.beats.begin(), d.beats.begin() + static_cast<std::ptrdiff_t>(beats));
  d.queued_bytes -= beats * beat_size;
  ++d.in_flight;
  ++stats_.batches_sent;
  stats_.envelopes_sent += out.envelopes.size();
  stats_.beats_sent += out.beats.size();
  return out;
}

std::vector<raft_batch> transport_outbox::take_all() {
  std::vector<raft_batch> out;
  for (auto& [dest, d] : dests_)
    while (auto b = take(dest))
      out.push_back(std::move(*b));
  return out;
}

void transport_outbox::on_ack(store_id dest, std::uint64_t count) {
  auto i = dests_.find(dest);
  if (i == dests_.end()) return;
  auto& d = i->second;
  d.in_flight = count >= d.in_flight ? 0 : d.in_flight - count;
  d.stalling = false;
}

bool transport_outbox::watch_stalls() {
  bool any = false;
  for (auto& [id, d] : dests_) {
    d.stalling = window_full(d);
    any = any || d.stalling;
  }
  return any;
}

std::vector<store_id> transport_outbox::reopen_stalled() {
  std::vector<store_id> out;
  for (auto& [id, d] : dests_) {
    if (!std::exchange(d.stalling, false) || d.in_flight < cfg_.window) continue;
    d.in_flight = 0;
    ++stats_.window_resets;
    out.push_back(id);
  }
  return out;
}

std::size_t transport_outbox::queued(store_id dest) const {
  auto i = dests_.find(dest);
  return i == dests_.end() ? 0 : i->second.queue.size() + i->second.beats.size();
}

std::size_t transport_outbox::in_flight(store_id dest) const {
  auto i = dests_.find(dest);
  return i == dests_.end() ? 0 : i->second.in_flight;
}

std::size_t transport_outbox::approximate_size(const raft_envelope& env) {
  constexpr std::size_t header = 96;
  constexpr std::size_t per_entry = 24;
  std::size_t n = header + env.msg.context.size() + env.msg.snapshot.data.size();
  for (const auto& e : env.msg.entries)
    n += per_entry + e.data.size();
  return n;
}

}  // namespace rdb
