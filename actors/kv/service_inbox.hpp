#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <queue>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <kj/async-unix.h>
#include <kj/async.h>
#include <kj/timer.h>

#include <caf/actor_addr.hpp>
#include <caf/actor_cast.hpp>
#include <caf/actor_companion.hpp>
#include <caf/error.hpp>
#include <caf/fwd.hpp>
#include <caf/message.hpp>
#include <caf/response_type.hpp>
#include <caf/timespan.hpp>

#include "storage/ids.hpp"

namespace rdb {

/// An answer of an actor to the KV service: the value, or the error it answered (or the inbox
/// made up: `timeout`, `region_not_found`, `server_busy`, all of category "rdb").
template <class T>
using reply = std::expected<T, caf::error>;

/// Tuning of a `service_inbox`.
struct inbox_config {
  /// Requests waiting for an answer, beyond which new ones get `server_busy` at once (CAF has
  /// no backpressure: without a bound a burst only grows the peers' mailboxes).
  std::size_t max_pending = 100'000;
};

/// The KV service's address in the actor system. The service runs on a kj event loop, not on
/// CAF's scheduler: it sends each request straight to the actor that serves it (a region peer,
/// PD's link) with this inbox as the sender, and that actor's answer comes back here directly,
/// with no actor spawned per request and none relaying.
///
/// How it works. The inbox is a CAF `actor_companion`: an actor without a mailbox or a thread
/// whose `enqueue` runs a callback on the sender's thread. The callback appends the message to
/// a queue and, when the queue was empty, writes to an eventfd; the loop wakes on that fd and
/// takes the whole queue at once, so under load one wake-up delivers many answers. Everything
/// else (sending, the table of requests waiting, deadlines) happens on the loop's thread only.
///
/// Every request is answered exactly once, and nothing is kept after its answer:
/// - by the actor asked, with its answer or error (a dead actor's mailbox bounces the request);
/// - with `region_not_found` when the actor asked terminates while holding it (the inbox
///   monitors every actor it asks: CAF 0.17 has no broken-promise error, and an actor killed
///   outright never answers what it held);
/// - with `timeout` when its deadline passes first (one kj timer for all deadlines, armed at
///   the earliest; no CAF timer per request). A late answer is dropped.
///
/// Create, use and destroy it on the loop's thread.
class service_inbox {
 public:
  service_inbox(caf::actor_system& sys, kj::UnixEventPort& port, kj::Timer& timer,
                inbox_config cfg = {});

  /// Terminates the companion; requests still waiting are dropped with their promises.
  ~service_inbox();

  service_inbox(const service_inbox&) = delete;
  service_inbox& operator=(const service_inbox&) = delete;

  /// Sends `xs...` to `dest` as a request from this inbox; resolves with the answer. `region`
  /// names the region in the errors the inbox makes up. The answer type `T` must be the one
  /// `dest`'s typed interface declares for the request.
  template <class T, class Handle, class... Ts>
  kj::Promise<reply<T>> ask(const Handle& dest, region_id region, caf::timespan timeout,
                            Ts&&... xs) {
    using declared = caf::response_type<typename Handle::signatures, std::decay_t<Ts>...>;
    static_assert(declared::valid, "the destination does not take this request");
    static_assert(std::is_same_v<typename declared::type, caf::detail::type_list<T>>,
                  "the destination answers this request with another type");
    return send(caf::actor_cast<caf::strong_actor_ptr>(dest), region, timeout,
                caf::make_message(std::forward<Ts>(xs)...))
        .then([](reply<caf::message>&& r) -> reply<T> {
          if (!r) return std::unexpected{std::move(r.error())};
          if (!r->template match_elements<T>())
            return std::unexpected{caf::make_error(caf::sec::unexpected_response)};
          return std::move(r->template get_mutable_as<T>(0));
        });
  }

  /// Requests waiting for an answer.
  std::size_t pending() const { return pending_.size(); }

  /// Actors monitored because a request went to them and they have not terminated since.
  std::size_t watched() const { return watched_.size(); }

 private:
  struct shared;

  struct waiting {
    kj::Own<kj::PromiseFulfiller<reply<caf::message>>> fulfiller;
    caf::actor_addr dest;
    region_id region;
  };

  using deadline = std::pair<kj::TimePoint, std::uint64_t>;

  kj::Promise<reply<caf::message>> send(caf::strong_actor_ptr dest, region_id region,
                                        caf::timespan timeout, caf::message content);
  kj::Promise<void> drain_when_woken();
  void drain();
  void on_message(caf::mailbox_element& x);
  void on_down(const caf::actor_addr& source);
  /// Answers `id` (if still waiting) and forgets it.
  void answer(std::uint64_t id, reply<caf::message> r);
  /// Deadline of the earliest request still waiting (stale entries are dropped on the way).
  std::optional<kj::TimePoint> earliest_deadline();
  /// Makes sure a sweep is armed for the earliest deadline.
  void arm_sweep();
  /// Times out every request due at `at`, then waits for the next deadline, if any.
  kj::Promise<void> sweep_at(kj::TimePoint at);

  caf::actor_companion* self() const;

  caf::actor_system& sys_;
  inbox_config cfg_;
  kj::Timer& timer_;
  std::shared_ptr<shared> shared_;
  caf::strong_actor_ptr companion_;
  kj::Own<kj::UnixEventPort::FdObserver> observer_;
  kj::Promise<void> draining_ = nullptr;
  std::unordered_map<std::uint64_t, waiting> pending_;
  std::unordered_set<caf::actor_addr> watched_;
  /// Deadlines of requests, earliest first; those of answered requests are skipped lazily.
  std::priority_queue<deadline, std::vector<deadline>, std::greater<>> deadlines_;
  /// The armed sweep and the time it fires at.
  kj::Promise<void> sweeping_ = nullptr;
  std::optional<kj::TimePoint> armed_at_;
};

}  // namespace rdb
