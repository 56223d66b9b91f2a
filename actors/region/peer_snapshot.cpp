#include <filesystem>
#include <system_error>
#include <utility>

#include "actors/region/peer.hpp"
#include "actors/region/region_snapshot.hpp"

/// Snapshots of `peer` (see peer.hpp): a leader's, made by the snapshot worker and sent by the
/// transport's snapshot channel; a follower's install of one it received.
///
/// The install writes the kv environment first (the snapshot's data, client sessions, apply
/// state truncated at the snapshot, and region meta, in one commit: no half region is ever on
/// disk), then the log (every entry gone, truncated at the snapshot, with the hard state).
/// Raft advances past the snapshot only after both. A crash in between leaves the kv side
/// ahead of the log, which `raft_storage::open` recognises by the kv truncation past the log's
/// and repairs with the same log reset. A crash before the kv commit leaves the replica as it
/// was: the staged file is dropped at restart and the leader sends the snapshot again.
namespace rdb {

void peer::on_snapshot_generated(std::optional<raft::snapshot> snap) {
  generating_ = false;
  if (!snap) return;
  auto made = decode_descriptor(snap->data);
  if (!made) return;
  if (auto old = storage_->prepare(std::move(*snap), made->region.region.epoch)) {
    // A stream still reading the old file holds it open; a new one asks again.
    if (auto d = decode_descriptor(old->data)) {
      std::error_code ec;
      std::filesystem::remove(d->path, ec);
    }
  }
}

void peer::on_snapshot_sent(peer_id to, bool ok) {
  // A replica that did not get it will be sent a newer one: nothing to keep the log for.
  if (!ok) snapshot_holds_.erase(to.value());
  raw_.report_snapshot(to, ok);
  maybe_handle_ready();
}

bool peer::stale_snapshot(const raft::snapshot& snap) const {
  if (!initialized()) return false;
  auto d = decode_descriptor(snap.data);
  if (!d) return false;
  const auto& theirs = d->region.region.epoch;
  const auto& mine = meta().epoch;
  if (theirs.conf_ver >= mine.conf_ver && theirs.version >= mine.version) return false;
  std::error_code ec;
  std::filesystem::remove(d->path, ec);
  return true;
}

void peer::install_snapshot(raft::ready& rd) {
  auto d = decode_descriptor(rd.snapshot.data);
  if (!d || d->region.region.id != meta().id) {
    output_.fatal = "received a snapshot at index " +
                    std::to_string(rd.snapshot.meta.index.value()) +
                    " whose descriptor does not name this region";
    return;
  }
  if (rd.soft_state) handle_soft_state(*rd.soft_state, handed_out_);
  last_ready_ = rd.number;
  // Nothing of the old log may be dropped on its own any more: the install replaces it.
  compaction_.reset();
  installing in;
  in.number = rd.number;
  in.meta = rd.snapshot.meta;
  in.file = d->path;
  in.region = d->region;
  in.region.state = storage::peer_state::normal;
  in.hard = rd.hard_state;
  in.persisted_messages = std::move(rd.persisted_messages);
  write_task kv;
  kv.region = meta().id;
  kv.ready_number = rd.number;
  kv.stage = write_stage::apply;
  kv.snapshot_file = in.file;
  kv.has_apply_state = true;
  kv.apply_state = storage::apply_state{in.meta.index, in.meta.index, in.meta.term};
  kv.has_region_state = true;
  kv.region_state = in.region;
  // What this replica held of its old range goes; the snapshot brings the range it has now.
  // An uninitialized one held nothing (its empty bounds would read as the whole key space).
  const auto& old = meta();
  if (initialized())
    kv.ops.push_back(data_op{data_op_kind::delete_range, old.start_key, old.end_key});
  kv.urgent = true;
  output_.tasks.push_back(std::move(kv));
  install_ = std::move(in);
}

bool peer::on_install_persisted(const persisted& ack) {
  auto& in = *install_;
  if (ack.stage == write_stage::apply) {
    // Apply halves sent before the snapshot came are acknowledged as usual.
    if (ack.ready_number < in.number) return false;
    on_applied(ack);
    if (in.kv_done) return true;
    in.kv_done = true;
    reset_log(in.number, storage::apply_state{in.meta.index, in.meta.index, in.meta.term}, in.hard);
    return true;
  }
  // A log acknowledgement before the install's own log half: a compaction sent earlier, which
  // no ready waits for.
  if (!in.kv_done || ack.ready_number < in.number) return true;
  finish_install();
  return true;
}

void peer::finish_install() {
  auto in = std::move(*install_);
  install_.reset();
  auto index = in.meta.index;
  std::vector<storage::client_session> sessions;
  {
    auto view = kv_->read();
    auto loaded =
        view ? view->load_client_sessions(meta().id)
             : storage::result<std::vector<storage::client_session>>{std::unexpected{view.error()}};
    if (!loaded) {
      output_.fatal = "reading the client sessions of the snapshot at index " +
                      std::to_string(index.value()) + ": " + loaded.error().message;
      return;
    }
    sessions = std::move(*loaded);
  }
  storage_->on_installed(index, in.meta.term, in.hard, in.region);
  // A replica created by message learns its role and its peers' addresses from the snapshot.
  for (const auto& p : meta().peers)
    if (p.id == self_.id) self_ = p;
  senders_.clear();
  raft::ready done;
  done.number = in.number;
  raw_.advance(done);
  applied_ = handed_out_ = acked_applied_ = index;
  sessions_.load(std::move(sessions), index);
  unwritten_.clear();
  unwritten_keys_.clear();
  for (auto& p : proposals_.take_up_to(index))
    fail(p.token, make_not_leader(meta().id, leader()));
  output_.meta_changed = true;
  send(std::move(in.persisted_messages));
  std::error_code ec;
  std::filesystem::remove(in.file, ec);
  maybe_handle_ready();
}

void peer::reset_log(std::uint64_t ready, const storage::apply_state& as,
                     const std::optional<raft::hard_state>& hs) {
  write_task log;
  log.region = meta().id;
  log.ready_number = ready;
  log.stage = write_stage::log;
  log.has_snapshot = true;
  log.has_apply_state = true;
  log.apply_state = as;
  if (hs) {
    log.has_hard_state = true;
    log.hard_state = *hs;
  }
  log.urgent = true;
  output_.tasks.push_back(std::move(log));
}

}  // namespace rdb
