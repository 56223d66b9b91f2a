#include "actors/store/store_writer.hpp"

#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/common/errors.hpp"
#include "actors/common/log.hpp"
#include "actors/store/region_bootstrap.hpp"

namespace rdb {

namespace {

/// What the writer needs of a task's sender (region peers and tests alike).
using ack_receiver = caf::typed_actor<caf::reacts_to<persisted_atom, persisted>>;

/// A task waiting for the next group commit, and whom to acknowledge it to.
struct pending_task {
  write_task task;
  caf::strong_actor_ptr sender;
  /// Why the task could not join its batch (a snapshot file that does not check out).
  std::string failure;
};

/// What a writer writes: the log engine (stage log) or the kv environment (stage apply).
struct write_target {
  write_stage stage = write_stage::log;
  std::function<storage::result<void>(const storage::write_batch&)> write;
  /// Whether the target holds its half of the region's founding state.
  std::function<storage::result<bool>(region_id)> founded;
};

struct writer_state {
  static inline const char* name = "rdb.store_writer";

  write_target target;
  std::vector<pending_task> pending;
  /// How long a task that is not urgent may wait for its commit.
  caf::timespan max_delay{0};
  /// True between sending ourselves `flush` and receiving it: tasks arriving meanwhile ride
  /// the same batch.
  bool flush_scheduled = false;
  /// True between arming the commit delay (`tick`) and receiving it.
  bool timer_armed = false;
  writer_stats stats;
};

/// Whether the kv environment holds the region's local state. The view is released before
/// returning: map growth during a write waits for open views.
storage::result<bool> has_region_state(const storage::store& st, region_id region) {
  auto view = st.read();
  if (!view) return std::unexpected{view.error()};
  auto local = view->load_region_state(region);
  if (!local) return std::unexpected{local.error()};
  return local->has_value();
}

using writer_pointer = store_writer_actor::stateful_pointer<writer_state>;

/// Commits everything collected since the last flush as one batch, then acknowledges each task.
void flush(writer_pointer self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (st.pending.empty()) return;
  auto tasks = std::move(st.pending);
  st.pending.clear();
  storage::write_batch batch;
  for (auto& p : tasks) {
    if (!p.task.snapshot_file.empty()) {
      // Read here, on the writer's own thread, not on the peer's: it may be large.
      log(log_level::info, "writer", p.task.region.value(),
          "installing the snapshot in " + p.task.snapshot_file);
      auto snap = storage::read_snapshot_file(p.task.snapshot_file);
      auto added = snap ? add_snapshot_install(batch, p.task, *snap)
                        : storage::result<void>{std::unexpected{snap.error()}};
      if (!added)
        p.failure =
            std::string{storage::to_string(added.error().code)} + ": " + added.error().message;
      continue;
    }
    add_write_task(batch, p.task);
    st.stats.entries += p.task.entries.size();
    st.stats.data_ops += p.task.ops.size();
  }
  std::string failure;
  if (!batch.empty()) {
    auto res = st.target.write(batch);
    ++st.stats.syncs;
    if (!res) {
      ++st.stats.failed_batches;
      failure = std::string{storage::to_string(res.error().code)} + ": " + res.error().message;
    }
  }
  ++st.stats.batches;
  st.stats.tasks += tasks.size();
  if (tasks.size() > st.stats.max_batch_tasks) st.stats.max_batch_tasks = tasks.size();
  // One acknowledgement per sender and region, for its last task of the batch: it covers the
  // earlier ones, which saves a message per extra ready of a busy region.
  std::set<std::pair<caf::actor_control_block*, region_id>> acked;
  for (auto p = tasks.rbegin(); p != tasks.rend(); ++p) {
    if (!p->sender || !acked.emplace(p->sender.get(), p->task.region).second) continue;
    const auto& why = p->failure.empty() ? failure : p->failure;
    persisted ack{p->task.region, p->task.ready_number, st.target.stage, !why.empty(), why};
    self->send(caf::actor_cast<ack_receiver>(p->sender), persisted_atom::value, std::move(ack));
  }
}

store_writer_actor::behavior_type writer(writer_pointer self, write_target target,
                                         caf::timespan max_delay) {
  self->state.target = std::move(target);
  self->state.max_delay = max_delay;
  return {
      [=](persist_atom, write_task& task) {
        auto& s = self->state;
        bool now = task.urgent || s.max_delay.count() == 0;
        s.pending.push_back(pending_task{std::move(task), self->current_sender(), {}});
        if (s.flush_scheduled) return;
        if (now) {
          // Queues behind every task already in the mailbox: they all join this batch.
          s.flush_scheduled = true;
          self->send(self, flush_atom::value);
        } else if (!s.timer_armed) {
          s.timer_armed = true;
          self->delayed_send(self, s.max_delay, commit_due_atom::value);
        }
      },
      [=](flush_atom) { flush(self); },
      [=](commit_due_atom) {
        self->state.timer_armed = false;
        flush(self);
      },
      [=](bootstrap_atom, const storage::region_meta& meta) -> caf::result<bool> {
        auto& s = self->state;
        auto founded = s.target.founded(meta.id);
        if (!founded)
          return to_error(
              make_request_error(errc::storage_corrupt, meta.id, founded.error().message));
        if (*founded) return false;
        storage::write_batch batch;
        add_founding_state(batch, meta, s.target.stage);
        auto res = s.target.write(batch);
        ++s.stats.syncs;
        if (!res)
          return to_error(make_request_error(errc::storage_corrupt, meta.id, res.error().message));
        return true;
      },
      [=](stats_atom) {
        // Tasks held back for company are committed first: an answer means everything sent
        // before it is written (the supervisor drains writers this way before a restart).
        flush(self);
        return self->state.stats;
      },
  };
}

store_writer_actor spawn(caf::actor_system& sys, write_target target, bool detached,
                         caf::timespan max_delay) {
  if (detached) return sys.spawn<caf::detached>(writer, std::move(target), max_delay);
  return sys.spawn(writer, std::move(target), max_delay);
}

}  // namespace

store_writer_actor spawn_log_writer(caf::actor_system& sys,
                                    std::shared_ptr<storage::log_engine> log, bool detached) {
  write_target target;
  target.stage = write_stage::log;
  target.write = [log](const storage::write_batch& b) { return log->write(b); };
  target.founded = [log](region_id region) -> storage::result<bool> {
    return log->hard_state(region).has_value();
  };
  return spawn(sys, std::move(target), detached, caf::timespan{0});
}

store_writer_actor spawn_apply_writer(caf::actor_system& sys, std::shared_ptr<storage::store> kv,
                                      bool detached, caf::timespan max_delay) {
  write_target target;
  target.stage = write_stage::apply;
  target.write = [kv](const storage::write_batch& b) { return kv->write(b); };
  target.founded = [kv](region_id region) { return has_region_state(*kv, region); };
  return spawn(sys, std::move(target), detached, max_delay);
}

}  // namespace rdb
