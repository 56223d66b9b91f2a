#include "tests/raft/sim/sim_checker.hpp"

#include <sstream>

namespace rdb::raft::sim {

namespace {

std::uint64_t hash_bytes(const std::string& data) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

/// Grows `v` so that `index` is addressable; zero stands for "not known yet".
template <class T>
T& slot(std::vector<T>& v, log_index index) {
  if (v.size() <= index.value()) v.resize(index.value() + 1);
  return v[index.value()];
}

}  // namespace

void checker::report(std::string what) {
  // A broken invariant tends to repeat on every later event; the first few tell the story.
  if (violations_.size() < 16) violations_.push_back(std::move(what));
}

void checker::on_bootstrap(log_index index, std::uint64_t chain) {
  slot(chains_, index) = chain;
  max_applied_ = index;
}

void checker::on_leader(node_id id, term_id term) {
  auto [it, inserted] = leaders_.emplace(term, id);
  if (!inserted && it->second != id) {
    std::ostringstream os;
    os << "two leaders in term " << term << ": " << it->second << " and " << id;
    report(os.str());
  }
}

void checker::on_commit(node_id id, log_index before, log_index now, const char* what) {
  if (now < before) {
    std::ostringstream os;
    os << "commit went backwards on " << id << " (" << what << "): " << before << " -> " << now;
    report(os.str());
  }
}

std::uint64_t checker::on_apply(node_id id, log_index index, term_id term,
                                std::uint64_t chain_before, const std::string& data) {
  auto chain = fnv(fnv(fnv(chain_before, index.value()), term.value()), hash_bytes(data));
  if (index > max_applied_) max_applied_ = index;
  on_committed_entry(id, index, term);
  auto& known = slot(chains_, index);
  if (known == 0) {
    known = chain;
  } else if (known != chain) {
    std::ostringstream os;
    os << "node " << id << " applied a different history at index " << index << " (term " << term
       << ")";
    report(os.str());
  }
  return chain;
}

void checker::on_restore(node_id id, log_index index, std::uint64_t chain) {
  if (index.is_none()) return;
  auto& known = slot(chains_, index);
  if (known == 0) {
    std::ostringstream os;
    os << "node " << id << " restored a snapshot at " << index << " that nobody applied";
    report(os.str());
  } else if (known != chain) {
    std::ostringstream os;
    os << "node " << id << " restored a snapshot at " << index << " with a different history";
    report(os.str());
  }
}

void checker::on_committed_entry(node_id id, log_index index, term_id term) {
  auto& known = slot(committed_terms_, index);
  if (known.is_none()) {
    known = term;
  } else if (known != term) {
    std::ostringstream os;
    os << "node " << id << " holds term " << term << " at committed index " << index
       << " where term " << known << " was committed";
    report(os.str());
  }
}

void checker::on_read(node_id id, log_index read_index, log_index applied_at_issue) {
  if (read_index < applied_at_issue) {
    std::ostringstream os;
    os << "stale read on " << id << ": read index " << read_index << " but " << applied_at_issue
       << " was applied before the read was issued";
    report(os.str());
  }
}

}  // namespace rdb::raft::sim
