#include <algorithm>

#include "actors/region/peer.hpp"

/// Log compaction (the raft log GC of TiKV's raftstore).
///
/// The leader decides: every `peer_config::log_gc_ticks` ticks it proposes a `compact_log`
/// command up to the highest index that every replica of the region holds (the smallest
/// match) and that it has applied, once that frees at least `log_gc_threshold` entries. A
/// replica that is behind (or down) holds compaction back while it catches up from the log;
/// one that never does (a new replica, one cut off too long) gets a snapshot instead
/// (peer_snapshot.cpp).
///
/// Every replica applies the command and drops its log up to that index once its own apply of
/// the prefix is durable. Two more things must be on disk first, or a restart could not
/// rebuild its state: the client sessions, which a restart replays from the log after their
/// checkpoint (the command's apply batch carries a checkpoint), and the apply itself (the kv
/// environment's last commit may be undone by a crash until another follows; an apply
/// acknowledged before the latest acknowledgement is durable). The compaction then goes to the
/// log writer behind everything the replica sent it.
namespace rdb {

void peer::maybe_propose_compaction() {
  if (!is_leader() || cfg_.log_gc_ticks <= 0) return;
  if (++gc_ticks_ < cfg_.log_gc_ticks) return;
  gc_ticks_ = 0;
  auto up_to = applied_;
  auto st = raw_.status();
  for (const auto& pr : st.progress)
    if (pr.id != self_.id) up_to = std::min(up_to, pr.match);
  // A replica this far behind is caught up by a snapshot rather than held onto by the log.
  if (applied_.value() - std::min(up_to, applied_).value() > cfg_.log_gc_count_limit)
    up_to = applied_;
  // But one being sent a snapshot, or installing one, goes on from the snapshot's index.
  for (auto i = snapshot_holds_.begin(); i != snapshot_holds_.end();) {
    auto pr =
        std::find_if(st.progress.begin(), st.progress.end(),
                     [&](const raft::progress_status& x) { return x.id.value() == i->first; });
    if (pr == st.progress.end() || pr->match >= i->second.index ||
        now_ - i->second.sent > cfg_.down_after) {
      i = snapshot_holds_.erase(i);
      continue;
    }
    up_to = std::min(up_to, i->second.index);
    ++i;
  }
  auto first = storage_->apply_state().truncated_index + 1;
  if (up_to < first || up_to.value() - first.value() + 1 < cfg_.log_gc_threshold) return;
  // One proposal at a time: a later tick proposes again if this one was lost.
  if (up_to <= compaction_proposed_ && compaction_proposed_term_ == raw_.term()) return;
  auto term = storage_->term(up_to);
  if (!term) return;
  command cmd;
  cmd.kind = command_kind::compact_log;
  cmd.proposer = self_.id;
  cmd.tag = next_tag_++;
  cmd.compact_index = up_to.value();
  cmd.compact_term = term->value();
  // Nobody waits for the answer: the command binds to no client.
  if (!raw_.propose(command_codec::encode(cmd))) return;
  compaction_proposed_ = up_to;
  compaction_proposed_term_ = raw_.term();
  maybe_handle_ready();
}

void peer::apply_compaction(const command& cmd, raft::log_index at) {
  raft::log_index up_to{cmd.compact_index};
  if (up_to <= storage_->apply_state().truncated_index) return;
  // The checkpoint rides in this entry's apply batch (see apply_committed).
  sessions_.require_checkpoint();
  if (!compaction_ || compaction_->up_to < up_to) compaction_ = pending_compaction{up_to, at};
}

void peer::maybe_compact() {
  // An install replaces the log; its acknowledgements must not be mistaken for a compaction's.
  if (install_ || destroy_ || !compaction_ || durable_applied_ < compaction_->after) return;
  auto up_to = compaction_->up_to;
  compaction_.reset();
  if (!storage_->compact(up_to)) return;
  write_task task;
  task.region = meta().id;
  // Its acknowledgement covers the readies sent before it, which the writer wrote first.
  task.ready_number = last_ready_;
  task.stage = write_stage::log;
  task.has_compaction = true;
  task.compact_to = up_to;
  output_.tasks.push_back(std::move(task));
}

}  // namespace rdb
