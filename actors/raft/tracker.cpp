#include "actors/raft/tracker.hpp"

#include <algorithm>

namespace rdb::raft {

namespace {

void insert_sorted(std::vector<node_id>& xs, node_id id) {
  auto it = std::lower_bound(xs.begin(), xs.end(), id);
  if (it == xs.end() || *it != id) xs.insert(it, id);
}

void erase_sorted(std::vector<node_id>& xs, node_id id) {
  auto it = std::lower_bound(xs.begin(), xs.end(), id);
  if (it != xs.end() && *it == id) xs.erase(it);
}

bool contains_sorted(const std::vector<node_id>& xs, node_id id) {
  return std::binary_search(xs.begin(), xs.end(), id);
}

}  // namespace

tracker::tracker(std::size_t max_inflight, std::uint64_t max_inflight_bytes)
    : max_inflight_(max_inflight), max_inflight_bytes_(max_inflight_bytes) {}

progress tracker::make_progress(log_index next, bool learner) const {
  progress pr{log_index{}, next, max_inflight_, max_inflight_bytes_, learner};
  // A new member counts as active so that check quorum does not depose the leader before the
  // member had a chance to answer.
  pr.recent_active = true;
  return pr;
}

void tracker::reset_conf(const conf_state& cs, log_index next) {
  voters_.clear();
  learners_.clear();
  progress_.clear();
  votes_.clear();
  for (auto id : cs.voters)
    add_voter(id, next);
  for (auto id : cs.learners)
    add_learner(id, next);
}

conf_state tracker::conf() const {
  return conf_state{voters_, learners_};
}

bool tracker::is_voter(node_id id) const {
  return contains_sorted(voters_, id);
}

bool tracker::is_learner(node_id id) const {
  return contains_sorted(learners_, id);
}

void tracker::add_voter(node_id id, log_index next) {
  if (is_voter(id)) return;
  if (is_learner(id)) {
    erase_sorted(learners_, id);
    insert_sorted(voters_, id);
    progress_.at(id).is_learner = false;
    return;
  }
  insert_sorted(voters_, id);
  progress_.insert_or_assign(id, make_progress(next, false));
}

void tracker::add_learner(node_id id, log_index next) {
  if (is_voter(id) || is_learner(id)) return;
  insert_sorted(learners_, id);
  progress_.insert_or_assign(id, make_progress(next, true));
}

void tracker::remove(node_id id) {
  erase_sorted(voters_, id);
  erase_sorted(learners_, id);
  progress_.erase(id);
  votes_.erase(id);
}

void tracker::reset_progress(node_id self, log_index last) {
  for (auto& [id, pr] : progress_)
    pr = progress{id == self ? last : log_index{}, last + 1, max_inflight_, max_inflight_bytes_,
                  pr.is_learner};
}

progress* tracker::find(node_id id) {
  auto it = progress_.find(id);
  return it == progress_.end() ? nullptr : &it->second;
}

const progress* tracker::find(node_id id) const {
  auto it = progress_.find(id);
  return it == progress_.end() ? nullptr : &it->second;
}

log_index tracker::committed() const {
  if (voters_.empty()) return log_index{};
  // Small clusters: a fixed buffer avoids an allocation on every acknowledgement.
  log_index buf[16];
  std::vector<log_index> heap;
  log_index* matches = buf;
  if (voters_.size() > 16) {
    heap.resize(voters_.size());
    matches = heap.data();
  }
  std::size_t n = 0;
  for (auto id : voters_) {
    auto it = progress_.find(id);
    matches[n++] = it == progress_.end() ? log_index{} : it->second.match;
  }
  // The quorum-th largest match index is on a quorum of voters.
  std::sort(matches, matches + n, std::greater<>{});
  return matches[quorum() - 1];
}

bool tracker::quorum_active() const {
  std::size_t active = 0;
  for (auto id : voters_) {
    auto it = progress_.find(id);
    if (it != progress_.end() && it->second.recent_active) ++active;
  }
  return active >= quorum();
}

void tracker::record_vote(node_id id, bool granted) {
  votes_.try_emplace(id, granted);
}

vote_result tracker::tally_votes(std::size_t* granted, std::size_t* rejected) const {
  std::size_t yes = 0;
  std::size_t no = 0;
  for (auto id : voters_) {
    auto it = votes_.find(id);
    if (it == votes_.end()) continue;
    (it->second ? yes : no) += 1;
  }
  if (granted) *granted = yes;
  if (rejected) *rejected = no;
  if (yes >= quorum()) return vote_result::won;
  if (voters_.size() - no < quorum()) return vote_result::lost;
  return vote_result::pending;
}

bool tracker::has_quorum(const std::vector<node_id>& acks) const {
  std::size_t n = 0;
  for (auto id : voters_)
    if (std::find(acks.begin(), acks.end(), id) != acks.end()) ++n;
  return n >= quorum();
}

}  // namespace rdb::raft
