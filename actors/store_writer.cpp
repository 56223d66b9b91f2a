#include "actors/store_writer.hpp"

#include <string>
#include <utility>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/errors.hpp"
#include "actors/region_bootstrap.hpp"

namespace rdb {

namespace {

/// What the writer needs of a task's sender (region peers and tests alike).
using ack_receiver = caf::typed_actor<caf::reacts_to<persisted_atom, persisted>>;

/// A task waiting for the next group commit, and whom to acknowledge it to.
struct pending_task {
  write_task task;
  caf::strong_actor_ptr sender;
};

struct writer_state {
  static inline const char* name = "rdb.store_writer";

  std::shared_ptr<storage::store> store;
  std::vector<pending_task> pending;
  /// True between sending ourselves `flush` and receiving it: tasks arriving meanwhile ride
  /// the same batch.
  bool flush_scheduled = false;
  writer_stats stats;
};

/// Whether the store holds any state of `region`. The view is released before returning: map
/// growth during a write waits for open views.
storage::result<bool> is_founded(const storage::store& st, region_id region) {
  auto view = st.read();
  if (!view) return std::unexpected{view.error()};
  auto local = view->load_region_state(region);
  if (!local) return std::unexpected{local.error()};
  auto hard = view->load_hard_state(region);
  if (!hard) return std::unexpected{hard.error()};
  return local->has_value() || hard->has_value();
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
  for (const auto& p : tasks) {
    add_write_task(batch, p.task);
    st.stats.entries += p.task.entries.size();
    st.stats.data_ops += p.task.ops.size();
  }
  std::string failure;
  if (!batch.empty()) {
    auto res = st.store->write(batch);
    ++st.stats.syncs;
    if (!res) {
      ++st.stats.failed_batches;
      failure = std::string{storage::to_string(res.error().code)} + ": " + res.error().message;
    }
  }
  ++st.stats.batches;
  st.stats.tasks += tasks.size();
  if (tasks.size() > st.stats.max_batch_tasks) st.stats.max_batch_tasks = tasks.size();
  for (auto& p : tasks) {
    persisted ack{p.task.region, p.task.ready_number, !failure.empty(), failure};
    if (p.sender)
      self->send(caf::actor_cast<ack_receiver>(p.sender), persisted_atom::value, std::move(ack));
  }
}

store_writer_actor::behavior_type writer(writer_pointer self, std::shared_ptr<storage::store> st) {
  self->state.store = std::move(st);
  return {
      [=](persist_atom, write_task& task) {
        auto& s = self->state;
        s.pending.push_back(pending_task{std::move(task), self->current_sender()});
        if (!s.flush_scheduled) {
          // Queues behind every task already in the mailbox: they all join this batch.
          s.flush_scheduled = true;
          self->send(self, flush_atom::value);
        }
      },
      [=](flush_atom) { flush(self); },
      [=](bootstrap_atom, const storage::region_meta& meta) -> caf::result<bool> {
        auto& s = self->state;
        auto founded = is_founded(*s.store, meta.id);
        if (!founded)
          return to_error(
              make_request_error(errc::storage_corrupt, meta.id, founded.error().message));
        if (*founded) return false;
        storage::write_batch batch;
        add_founding_state(batch, meta);
        auto res = s.store->write(batch);
        ++s.stats.syncs;
        if (!res)
          return to_error(make_request_error(errc::storage_corrupt, meta.id, res.error().message));
        return true;
      },
      [=](stats_atom) { return self->state.stats; },
  };
}

}  // namespace

store_writer_actor spawn_store_writer(caf::actor_system& sys, std::shared_ptr<storage::store> st,
                                      bool detached) {
  if (detached) return sys.spawn<caf::detached>(writer, std::move(st));
  return sys.spawn(writer, std::move(st));
}

}  // namespace rdb
