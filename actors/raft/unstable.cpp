#include "actors/raft/unstable.hpp"

#include "actors/raft/invariant.hpp"

namespace rdb::raft {

std::optional<log_index> unstable::maybe_first_index() const {
  if (snapshot_) return snapshot_->meta.index + 1;
  return std::nullopt;
}

std::optional<log_index> unstable::maybe_last_index() const {
  if (!entries_.empty()) return offset_ + (entries_.size() - 1);
  if (snapshot_) return snapshot_->meta.index;
  return std::nullopt;
}

std::optional<term_id> unstable::maybe_term(log_index i) const {
  if (i < offset_) {
    if (snapshot_ && snapshot_->meta.index == i) return snapshot_->meta.term;
    return std::nullopt;
  }
  auto last = maybe_last_index();
  if (!last || i > *last) return std::nullopt;
  return entries_[i - offset_].term;
}

void unstable::stable_to(log_index i, term_id t) {
  auto gt = maybe_term(i);
  if (!gt || *gt != t || i < offset_) return;
  auto n = i - offset_ + 1;
  if (n == entries_.size())
    entries_.clear();
  else
    entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(n));
  offset_ = i + 1;
  if (in_progress_ < offset_) in_progress_ = offset_;
}

void unstable::stable_snap_to(log_index i) {
  if (snapshot_ && snapshot_->meta.index == i) snapshot_.reset();
}

void unstable::restore(snapshot s) {
  offset_ = s.meta.index + 1;
  in_progress_ = offset_;
  ++replacements_;
  entries_.clear();
  snapshot_ = std::move(s);
}

void unstable::truncate_and_append(std::vector<entry>&& ents) {
  if (ents.empty()) return;
  auto after = ents.front().index;
  if (after == offset_ + entries_.size()) {
    // The common case: a plain append.
    if (entries_.empty()) {
      entries_ = std::move(ents);
    } else {
      entries_.insert(entries_.end(), std::make_move_iterator(ents.begin()),
                      std::make_move_iterator(ents.end()));
    }
  } else if (after <= offset_) {
    // Replaces the whole unstable tail; the durable part below is overwritten on persist.
    if (in_progress_ > after) ++replacements_;
    offset_ = after;
    in_progress_ = after;
    entries_ = std::move(ents);
  } else {
    // Keeps the prefix before `after`, drops the conflicting suffix.
    entries_.resize(after - offset_);
    entries_.insert(entries_.end(), std::make_move_iterator(ents.begin()),
                    std::make_move_iterator(ents.end()));
    // The replaced entries may already be on their way to disk: the new ones follow them
    // there and overwrite them.
    if (in_progress_ > after) {
      in_progress_ = after;
      ++replacements_;
    }
  }
}

std::vector<entry> unstable::entries_to_persist() const {
  return {entries_.begin() + static_cast<std::ptrdiff_t>(in_progress_ - offset_), entries_.end()};
}

void unstable::copy_slice(log_index lo, log_index hi, std::vector<entry>& out) const {
  expects(lo >= offset_ && lo <= hi && hi <= offset_ + entries_.size(),
          "unstable slice out of bounds");
  out.insert(out.end(), entries_.begin() + static_cast<std::ptrdiff_t>(lo - offset_),
             entries_.begin() + static_cast<std::ptrdiff_t>(hi - offset_));
}

}  // namespace rdb::raft
