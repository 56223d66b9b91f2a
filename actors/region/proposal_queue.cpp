#include "actors/region/proposal_queue.hpp"

namespace rdb {

void proposal_queue::add(std::uint64_t tag, std::uint64_t token) {
  unbound_[tag] = proposal{token, tag, raft::log_index{}, raft::term_id{}};
}

bool proposal_queue::bind(std::uint64_t tag, raft::log_index index, raft::term_id term) {
  auto i = unbound_.find(tag);
  if (i == unbound_.end()) return false;
  auto p = i->second;
  unbound_.erase(i);
  p.index = index;
  p.term = term;
  bound_[index] = p;
  return true;
}

std::vector<proposal_queue::proposal> proposal_queue::take_unbound() {
  std::vector<proposal> out;
  for (auto& [tag, p] : unbound_)
    out.push_back(p);
  unbound_.clear();
  return out;
}

bool proposal_queue::take_at(raft::log_index index, proposal& out) {
  auto i = bound_.find(index);
  if (i == bound_.end()) return false;
  out = i->second;
  bound_.erase(i);
  return true;
}

std::vector<proposal_queue::proposal> proposal_queue::take_up_to(raft::log_index index) {
  std::vector<proposal> out;
  auto end = bound_.upper_bound(index);
  for (auto i = bound_.begin(); i != end; ++i)
    out.push_back(i->second);
  bound_.erase(bound_.begin(), end);
  return out;
}

std::vector<proposal_queue::proposal> proposal_queue::take_after(raft::log_index index) {
  std::vector<proposal> out;
  auto from = bound_.upper_bound(index);
  for (auto i = from; i != bound_.end(); ++i)
    out.push_back(i->second);
  bound_.erase(from, bound_.end());
  return out;
}

}  // namespace rdb
