#include "actors/raft/read_only.hpp"

#include <algorithm>

namespace rdb::raft {

void read_only::add_request(log_index index, message req) {
  auto ctx = req.entries.front().data;
  if (pending_.contains(ctx)) return;
  queue_.push_back(ctx);
  pending_.emplace(std::move(ctx), pending{std::move(req), index, {}});
}

const std::vector<node_id>* read_only::recv_ack(node_id id, const std::string& context) {
  auto it = pending_.find(context);
  if (it == pending_.end()) return nullptr;
  auto& acks = it->second.acks;
  if (std::find(acks.begin(), acks.end(), id) == acks.end()) acks.push_back(id);
  return &acks;
}

std::vector<read_only::pending> read_only::advance(const std::string& context) {
  std::vector<pending> out;
  auto pos = std::find(queue_.begin(), queue_.end(), context);
  if (pos == queue_.end()) return out;
  auto stop = pos + 1;
  for (auto it = queue_.begin(); it != stop; ++it) {
    auto p = pending_.find(*it);
    out.push_back(std::move(p->second));
    pending_.erase(p);
  }
  queue_.erase(queue_.begin(), stop);
  return out;
}

const std::string* read_only::last_pending_context() const {
  return queue_.empty() ? nullptr : &queue_.back();
}

void read_only::clear() {
  pending_.clear();
  queue_.clear();
}

}  // namespace rdb::raft
