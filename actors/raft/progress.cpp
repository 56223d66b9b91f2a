#include "actors/raft/progress.hpp"

#include <algorithm>

#include "actors/raft/invariant.hpp"

namespace rdb::raft {

std::string_view to_string(progress_state s) {
  switch (s) {
    case progress_state::probe:
      return "probe";
    case progress_state::replicate:
      return "replicate";
    case progress_state::snapshot:
      return "snapshot";
  }
  return "unknown";
}

progress::progress(log_index m, log_index n, std::size_t max_inflight,
                   std::uint64_t max_inflight_bytes, bool learner)
    : match(m), next(n), inflights(max_inflight, max_inflight_bytes), is_learner(learner) {}

void progress::reset_state(progress_state s) {
  msg_app_flow_paused = false;
  pending_snapshot = log_index{};
  state = s;
  inflights.reset();
}

void progress::become_probe() {
  // After a snapshot, resume right after it: the follower will hold it once installed.
  if (state == progress_state::snapshot) {
    auto pending = pending_snapshot;
    reset_state(progress_state::probe);
    next = std::max(match + 1, pending + 1);
  } else {
    reset_state(progress_state::probe);
    next = match + 1;
  }
}

void progress::become_replicate() {
  reset_state(progress_state::replicate);
  next = match + 1;
}

void progress::become_snapshot(log_index snapshot_index) {
  reset_state(progress_state::snapshot);
  pending_snapshot = snapshot_index;
}

void progress::update_on_entries_send(std::size_t count, std::uint64_t bytes,
                                      log_index next_index) {
  switch (state) {
    case progress_state::replicate:
      if (count > 0) {
        auto last = next_index + (count - 1);
        next = last + 1;
        inflights.add(last, bytes);
      }
      msg_app_flow_paused = inflights.full();
      break;
    case progress_state::probe:
      // One probe at a time: wait for its answer (or a heartbeat response) before the next.
      msg_app_flow_paused = true;
      break;
    case progress_state::snapshot:
      invariant_failed("sending entries to a follower that waits for a snapshot");
  }
}

bool progress::maybe_update(log_index n) {
  bool updated = false;
  if (match < n) {
    match = n;
    updated = true;
    msg_app_flow_paused = false;
  }
  next = std::max(next, n + 1);
  return updated;
}

bool progress::maybe_decr_to(log_index rejected, log_index match_hint) {
  if (state == progress_state::replicate) {
    // A rejection at or below match is stale: it answers an append sent before the match.
    if (rejected <= match) return false;
    next = match + 1;
    return true;
  }
  // In probe state only the answer to the outstanding probe counts.
  if (next - 1 != rejected) return false;
  next = std::max(std::min(rejected, match_hint + 1), match + 1);
  msg_app_flow_paused = false;
  return true;
}

bool progress::is_paused() const {
  switch (state) {
    case progress_state::probe:
    case progress_state::replicate:
      return msg_app_flow_paused;
    case progress_state::snapshot:
      return true;
  }
  return true;
}

}  // namespace rdb::raft
