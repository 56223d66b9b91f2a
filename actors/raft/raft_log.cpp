#include "actors/raft/raft_log.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "actors/raft/invariant.hpp"
#include "actors/raft/planted_bug.hpp"

namespace rdb::raft {

namespace {

/// Storage errors other than the expected range errors mean the durable log is unusable.
template <class T>
T must(std::expected<T, error> r, std::string_view what) {
  if (!r) invariant_failed(std::string{what} + ": " + std::string{to_string(r.error().code)});
  return std::move(*r);
}

}  // namespace

raft_log::raft_log(log_storage& storage, std::uint64_t max_applying_size)
    : storage_(storage), max_applying_size_(max_applying_size) {
  auto first = must(storage_.first_index(), "storage first_index");
  auto last = must(storage_.last_index(), "storage last_index");
  unstable_.set_offset(last + 1);
  // Everything before the first index is in the snapshot, hence committed and applied.
  committed_ = first - 1;
  applied_ = first - 1;
  applying_ = applied_;
}

// -- indexes and terms --------------------------------------------------------

log_index raft_log::first_index() const {
  if (auto i = unstable_.maybe_first_index()) return *i;
  return must(storage_.first_index(), "storage first_index");
}

log_index raft_log::last_index() const {
  if (auto i = unstable_.maybe_last_index()) return *i;
  return must(storage_.last_index(), "storage last_index");
}

term_id raft_log::last_term() const {
  return must(term(last_index()), "term of last index");
}

std::expected<term_id, error> raft_log::term(log_index i) const {
  // Valid range: [first_index() - 1, last_index()]; the dummy entry carries the snapshot term.
  if (auto t = unstable_.maybe_term(i)) return *t;
  if (i + 1 < first_index()) return std::unexpected{errc::compacted};
  if (i > last_index()) return std::unexpected{errc::unavailable};
  auto t = storage_.term(i);
  if (t || t.error() == errc::compacted || t.error() == errc::unavailable) return t;
  invariant_failed("storage term failed");
}

term_id raft_log::term_or_zero(log_index i) const {
  auto t = term(i);
  return t ? *t : term_id{};
}

bool raft_log::match_term(log_index i, term_id t) const {
  auto lt = term(i);
  return lt && *lt == t;
}

bool raft_log::is_up_to_date(log_index lasti, term_id t) const {
  auto lt = last_term();
  return t > lt || (t == lt && lasti >= last_index());
}

// -- appending ----------------------------------------------------------------

std::optional<log_index> raft_log::maybe_append(log_index index, term_id log_term,
                                                log_index committed, std::vector<entry>&& ents) {
  // Log matching (§5.3): accept only if we hold the entry preceding the new ones.
  if (!match_term(index, log_term)) return std::nullopt;
  auto last_new = index + ents.size();
  auto ci = find_conflict(ents);
  if (!ci.is_none()) {
    expects(ci > committed_, "conflict with a committed entry");
    auto skip = static_cast<std::ptrdiff_t>(ci - (index + 1));
    if (skip > 0) ents.erase(ents.begin(), ents.begin() + skip);
    append(std::move(ents));
  }
  // Only entries known to match the leader may be committed: the leader's commit index may be
  // ahead of what this message proves we share.
  commit_to(std::min(committed, last_new));
  return last_new;
}

log_index raft_log::append(std::vector<entry>&& ents) {
  if (ents.empty()) return last_index();
  expects(ents.front().index > committed_, "append would overwrite committed entries");
  unstable_.truncate_and_append(std::move(ents));
  return last_index();
}

log_index raft_log::find_conflict(const std::vector<entry>& ents) const {
  for (const auto& e : ents)
    if (!match_term(e.index, e.term)) return e.index;
  return log_index{};
}

std::pair<log_index, term_id> raft_log::find_conflict_by_term(log_index index, term_id t) const {
  if (index > last_index()) return {index, term_id{}};
  for (;;) {
    auto lt = term(index);
    if (!lt) return {index, term_id{}};
    if (*lt <= t || index.is_none()) return {index, *lt};
    index = index - 1;
  }
}

// -- reading ------------------------------------------------------------------

std::expected<std::vector<entry>, error> raft_log::entries(log_index i,
                                                           std::uint64_t max_bytes) const {
  auto last = last_index();
  if (i > last) return std::vector<entry>{};
  return slice(i, last + 1, max_bytes);
}

std::expected<std::vector<entry>, error> raft_log::slice(log_index lo, log_index hi,
                                                         std::uint64_t max_bytes) const {
  expects(lo <= hi, "slice with lo > hi");
  if (lo < first_index()) return std::unexpected{errc::compacted};
  expects(hi <= last_index() + 1, "slice beyond last index");
  std::vector<entry> out;
  if (lo == hi) return out;
  auto off = unstable_.offset();
  if (lo < off) {
    auto stored = storage_.entries(lo, std::min(hi, off), max_bytes);
    if (!stored) {
      if (stored.error() == errc::compacted) return std::unexpected{errc::compacted};
      invariant_failed("storage entries failed");
    }
    if (stored->size() < std::min(hi, off) - lo) return stored;
    out = std::move(*stored);
  }
  if (hi > off) {
    auto from = std::max(lo, off);
    // Copies only what fits the byte budget.
    std::uint64_t size = 0;
    for (const auto& e : out)
      size += entry_size(e);
    const auto& ue = unstable_.entries();
    for (auto i = from; i < hi; ++i) {
      const auto& e = ue[i - off];
      size += entry_size(e);
      if (!out.empty() && size > max_bytes) break;
      out.push_back(e);
    }
  }
  return out;
}

std::vector<entry> raft_log::all_entries() const {
  auto r = entries(first_index(), std::numeric_limits<std::uint64_t>::max());
  if (r) return std::move(*r);
  return {};
}

std::expected<raft::snapshot, error> raft_log::snapshot() const {
  if (unstable_.pending_snapshot()) return *unstable_.pending_snapshot();
  return storage_.snapshot();
}

// -- commit and apply ---------------------------------------------------------

bool raft_log::maybe_commit(log_index max_index, term_id t) {
  if (max_index <= committed_) return false;
#ifdef RDB_RAFT_PLANTED_BUGS
  if (planted(planted_bug_kind::commit_old_term_by_counting)) {
    commit_to(max_index);
    return true;
  }
#endif
  if (term_or_zero(max_index) != t) return false;
  commit_to(max_index);
  return true;
}

void raft_log::commit_to(log_index i) {
  if (i <= committed_) return;
  expects(i <= last_index(), "commit index beyond the last index");
  committed_ = i;
}

void raft_log::applied_to(log_index i) {
  if (i.is_none()) return;
  expects(i <= committed_ && i >= applied_, "applied index out of range");
  applied_ = i;
  if (applying_ < i) applying_ = i;
}

void raft_log::applying_to(log_index i) {
  if (i.is_none()) return;
  expects(i <= committed_ && i >= applying_, "applying index out of range");
  applying_ = i;
}

bool raft_log::has_next_committed_ents() const {
  // Committed entries after a pending snapshot wait until the snapshot has been applied.
  if (has_pending_snapshot()) return false;
  return committed_ > std::max(applying_, first_index() - 1);
}

std::vector<entry> raft_log::next_committed_ents() const {
  if (!has_next_committed_ents()) return {};
  auto lo = std::max(applying_ + 1, first_index());
  auto r = slice(lo, committed_ + 1, max_applying_size_);
  expects(r.has_value(), "committed entries unavailable");
  return std::move(*r);
}

void raft_log::restore(raft::snapshot s) {
  committed_ = s.meta.index;
  unstable_.restore(std::move(s));
}

}  // namespace rdb::raft
