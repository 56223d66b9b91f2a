#include "actors/store/snapshot_worker.hpp"

#include <filesystem>
#include <system_error>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/common/errors.hpp"
#include "actors/common/log.hpp"
#include "actors/region/region_snapshot.hpp"

namespace rdb {

namespace {

struct worker_state {
  static inline const char* name = "rdb.snapshot_worker";

  storage::engines store;
  std::string dir;
  session_table::limits limits;
  /// Files get fresh names: a stream may still read a region's previous one.
  std::uint64_t next_file = 1;
};

using worker_pointer = snapshot_worker_actor::stateful_pointer<worker_state>;

snapshot_worker_actor::behavior_type worker_fn(worker_pointer self, storage::engines st,
                                               std::string dir, session_table::limits limits) {
  self->state.store = std::move(st);
  self->state.dir = std::move(dir);
  self->state.limits = limits;
  return {
      [=](snapshot_atom, region_id region) -> caf::result<raft::snapshot> {
        auto& s = self->state;
        auto path = s.dir + "/region-" + std::to_string(region.value()) + "-" +
                    std::to_string(s.next_file++) + ".snap";
        auto snap = build_region_snapshot(s.store, region, s.limits, path);
        if (!snap) {
          std::error_code ec;
          std::filesystem::remove(path, ec);
          log(log_level::warning, "region", region.value(),
              "cannot make a snapshot: " + snap.error().message);
          return to_error(make_request_error(errc::storage_corrupt, region, snap.error().message));
        }
        log(log_level::info, "region", region.value(),
            "made a snapshot at index " + std::to_string(snap->meta.index.value()));
        return std::move(*snap);
      },
  };
}

}  // namespace

void reset_snapshot_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir, ec);
}

snapshot_worker_actor spawn_snapshot_worker(caf::actor_system& sys, storage::engines st,
                                            std::string dir, session_table::limits limits,
                                            bool detached) {
  reset_snapshot_dir(dir);
  if (detached) return sys.spawn<caf::detached>(worker_fn, std::move(st), std::move(dir), limits);
  return sys.spawn(worker_fn, std::move(st), std::move(dir), limits);
}

}  // namespace rdb
