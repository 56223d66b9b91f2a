#include "actors/region/session_table.hpp"

#include <algorithm>

namespace rdb {

void session_table::load(std::vector<storage::client_session> sessions, raft::log_index index) {
  checkpoint_ = index;
  must_checkpoint_ = false;
  sessions_.clear();
  by_index_.clear();
  changed_.clear();
  ended_.clear();
  for (auto& s : sessions) {
    by_index_.emplace(s.last_index, s.client);
    auto client = s.client;
    sessions_.emplace(client, std::move(s));
  }
}

bool session_table::admit(std::uint64_t client, std::uint64_t seq, std::uint64_t first_incomplete,
                          raft::log_index index) {
  if (client == 0 || seq == 0) return true;
  auto [it, fresh] = sessions_.try_emplace(client);
  auto& s = it->second;
  if (fresh) {
    s.client = client;
  } else {
    if (seq < s.watermark || std::binary_search(s.applied.begin(), s.applied.end(), seq))
      return false;
    by_index_.erase({s.last_index, client});
  }
  s.applied.insert(std::upper_bound(s.applied.begin(), s.applied.end(), seq), seq);
  // The client's own write is still unanswered, so its promise cannot exceed `seq`.
  s.watermark = std::max(s.watermark, std::min(first_incomplete, seq));
  s.applied.erase(s.applied.begin(),
                  std::lower_bound(s.applied.begin(), s.applied.end(), s.watermark));
  if (s.applied.size() > limits_.max_applied)
    s.applied.erase(
        s.applied.begin(),
        s.applied.begin() + static_cast<std::ptrdiff_t>(s.applied.size() - limits_.max_applied));
  // Failed numbers are a subset of the applied ones.
  auto lowest = s.applied.empty() ? s.watermark : s.applied.front();
  s.failed.erase(s.failed.begin(), std::lower_bound(s.failed.begin(), s.failed.end(), lowest));
  s.last_index = index.value();
  by_index_.emplace(s.last_index, client);
  changed_.insert(client);
  ended_.erase(client);
  while (sessions_.size() > limits_.max_sessions)
    evict_oldest();
  return true;
}

void session_table::record_failed(std::uint64_t client, std::uint64_t seq) {
  auto i = sessions_.find(client);
  if (i == sessions_.end() ||
      !std::binary_search(i->second.applied.begin(), i->second.applied.end(), seq))
    return;
  auto& failed = i->second.failed;
  failed.insert(std::upper_bound(failed.begin(), failed.end(), seq), seq);
  changed_.insert(client);
  must_checkpoint_ = true;
}

bool session_table::failed(std::uint64_t client, std::uint64_t seq) const {
  const auto* s = find(client);
  return s != nullptr && std::binary_search(s->failed.begin(), s->failed.end(), seq);
}

void session_table::evict_oldest() {
  auto client = by_index_.begin()->second;
  by_index_.erase(by_index_.begin());
  sessions_.erase(client);
  changed_.erase(client);
  ended_.insert(client);
}

bool session_table::checkpoint_due(raft::log_index applied) const {
  // Even with no session changed the index moves on: it bounds what a restart replays.
  if (checkpoint_required_) return true;
  if (applied.value() >= checkpoint_.value() + limits_.checkpoint_entries) return true;
  return must_checkpoint_ && (!changed_.empty() || !ended_.empty());
}

std::pair<std::vector<storage::client_session>, std::vector<std::uint64_t>>
session_table::take_changes(raft::log_index applied) {
  checkpoint_ = applied;
  must_checkpoint_ = false;
  checkpoint_required_ = false;
  std::vector<storage::client_session> put;
  put.reserve(changed_.size());
  for (auto client : changed_)
    put.push_back(sessions_.at(client));
  std::vector<std::uint64_t> ended{ended_.begin(), ended_.end()};
  changed_.clear();
  ended_.clear();
  return {std::move(put), std::move(ended)};
}

const storage::client_session* session_table::find(std::uint64_t client) const {
  auto i = sessions_.find(client);
  return i == sessions_.end() ? nullptr : &i->second;
}

std::vector<storage::client_session> session_table::all() const {
  std::vector<storage::client_session> out;
  out.reserve(sessions_.size());
  for (const auto& [client, s] : sessions_)
    out.push_back(s);
  return out;
}

}  // namespace rdb
