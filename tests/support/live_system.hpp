#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/store/store_types.hpp"
#include "tests/support/wait.hpp"

namespace rdb::test {

/// An actor system on CAF's threaded scheduler for tests that run the detached store writer:
/// one worker per core, a bounded throughput per actor so a busy actor cannot starve ticks,
/// and no polling delay on wake-up (TOOLCHAIN.md).
struct live_config : caf::actor_system_config {
  live_config() {
    add_store_types(*this);
    auto cores = std::max<std::size_t>(2, std::thread::hardware_concurrency());
    set("scheduler.max-threads", cores);
    set("scheduler.max-throughput", std::size_t{300});
    set("work-stealing.moderate-poll-attempts", std::size_t{0});
  }
};

/// A blocking request with a timeout: the answer, or nothing on error or timeout.
template <class Response, class Handle, class... Ts>
std::optional<Response> call(caf::actor_system& sys, const Handle& dest, Ts&&... xs) {
  caf::scoped_actor self{sys};
  std::optional<Response> out;
  self->request(dest, std::chrono::seconds{10}, std::forward<Ts>(xs)...)
      .receive([&](Response& r) { out = std::move(r); }, [](caf::error&) {});
  return out;
}

}  // namespace rdb::test
