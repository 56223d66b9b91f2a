#include "actors/kv/service_inbox.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <mutex>

#include <kj/debug.h>

#include <caf/actor_system.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/scoped_execution_unit.hpp>
#include <caf/sec.hpp>
#include <caf/system_messages.hpp>

#include "actors/common/errors.hpp"

namespace rdb {

/// What the companion's callback shares with the loop: it runs on whichever thread sends.
struct service_inbox::shared {
  std::mutex mtx;
  std::vector<caf::mailbox_element_ptr> queue;
  int wake_fd = -1;

  ~shared() {
    if (wake_fd >= 0) ::close(wake_fd);
  }

  void push(caf::mailbox_element_ptr x) {
    bool was_empty = false;
    {
      std::lock_guard<std::mutex> guard{mtx};
      was_empty = queue.empty();
      queue.push_back(std::move(x));
    }
    // Only the first message of a batch wakes the loop: it takes the whole queue.
    if (was_empty) {
      std::uint64_t one = 1;
      [[maybe_unused]] auto n = ::write(wake_fd, &one, sizeof one);
    }
  }
};

namespace {

kj::Duration to_kj(caf::timespan d) {
  return d.count() * kj::NANOSECONDS;
}

/// An error the inbox answers itself. `maybe_applied`: the request reached its peer, which may
/// have proposed it.
caf::error made_up(errc code, region_id region, std::string detail, bool maybe_applied = false) {
  auto e = make_request_error(code, region, std::move(detail));
  e.maybe_applied = maybe_applied;
  return to_error(e);
}

}  // namespace

service_inbox::service_inbox(caf::actor_system& sys, kj::UnixEventPort& port, kj::Timer& timer,
                             inbox_config cfg)
    : sys_(sys), cfg_(cfg), timer_(timer), shared_(std::make_shared<shared>()) {
  shared_->wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  KJ_SYSCALL(shared_->wake_fd, "eventfd for the KV service's inbox");
  companion_ = caf::actor_cast<caf::strong_actor_ptr>(sys.spawn<caf::actor_companion>());
  self()->on_enqueue([s = shared_](caf::mailbox_element_ptr x) { s->push(std::move(x)); });
  observer_ = kj::heap<kj::UnixEventPort::FdObserver>(port, shared_->wake_fd,
                                                      kj::UnixEventPort::FdObserver::OBSERVE_READ);
  draining_ = drain_when_woken().eagerlyEvaluate(nullptr);
}

service_inbox::~service_inbox() {
  // Without a callback the companion bounces requests and drops the rest; the callback, and
  // with it `shared_`, may live on in a sender's thread until it returns. Then the companion
  // terminates (CAF 0.17.6 declares `disconnect` but never defines it).
  self()->on_enqueue(nullptr);
  caf::scoped_execution_unit host{&sys_};
  self()->cleanup(caf::exit_reason::user_shutdown, &host);
}

caf::actor_companion* service_inbox::self() const {
  return static_cast<caf::actor_companion*>(caf::actor_cast<caf::abstract_actor*>(companion_));
}

kj::Promise<reply<caf::message>> service_inbox::send(caf::strong_actor_ptr dest, region_id region,
                                                     caf::timespan timeout, caf::message content) {
  if (!dest)
    return reply<caf::message>{
        std::unexpected{made_up(errc::region_not_found, region, "the region has no peer to ask")}};
  if (pending_.size() >= cfg_.max_pending)
    return reply<caf::message>{std::unexpected{
        made_up(errc::server_busy, region, "too many requests waiting for an answer")}};
  auto addr = dest->address();
  // Monitored before the request leaves: a peer that terminates holding it is then certain to
  // send us a down message after it.
  if (watched_.insert(addr).second) self()->monitor(dest);
  auto mid = self()->new_request_id(caf::message_priority::normal);
  auto id = mid.request_id().integer_value();
  auto paf = kj::newPromiseAndFulfiller<reply<caf::message>>();
  pending_.emplace(id, waiting{kj::mv(paf.fulfiller), addr, region});
  deadlines_.emplace(timer_.now() + to_kj(timeout), id);
  arm_sweep();
  dest->enqueue(caf::make_mailbox_element(companion_, mid, {}, std::move(content)), nullptr);
  return kj::mv(paf.promise);
}

kj::Promise<void> service_inbox::drain_when_woken() {
  return observer_->whenBecomesReadable().then([this] {
    drain();
    return drain_when_woken();
  });
}

void service_inbox::drain() {
  // The counter first, the queue second: a message queued in between wakes us again.
  std::uint64_t count = 0;
  while (::read(shared_->wake_fd, &count, sizeof count) > 0) {
  }
  std::vector<caf::mailbox_element_ptr> batch;
  {
    std::lock_guard<std::mutex> guard{shared_->mtx};
    batch.swap(shared_->queue);
  }
  for (auto& x : batch)
    on_message(*x);
}

void service_inbox::on_message(caf::mailbox_element& x) {
  auto& content = x.content();
  if (x.mid.is_response()) {
    auto id = x.mid.request_id().integer_value();
    if (content.match_elements<caf::error>()) {
      auto err = content.get_as<caf::error>(0);
      auto i = pending_.find(id);
      // A mailbox that closed before the request got in bounces it: the peer is gone.
      if (i != pending_.end() && err == caf::sec::request_receiver_down)
        err = made_up(errc::region_not_found, i->second.region, "the region peer is down");
      answer(id, std::unexpected{std::move(err)});
    } else {
      answer(id, x.move_content_to_message());
    }
    return;
  }
  if (content.match_elements<caf::down_msg>()) on_down(content.get_as<caf::down_msg>(0).source);
}

void service_inbox::on_down(const caf::actor_addr& source) {
  watched_.erase(source);
  std::vector<std::uint64_t> lost;
  for (const auto& [id, w] : pending_)
    if (w.dest == source) lost.push_back(id);
  for (auto id : lost) {
    auto region = pending_.at(id).region;
    answer(id, std::unexpected{made_up(errc::region_not_found, region,
                                       "the region peer stopped before answering", true)});
  }
}

void service_inbox::answer(std::uint64_t id, reply<caf::message> r) {
  auto i = pending_.find(id);
  if (i == pending_.end()) return;
  auto fulfiller = kj::mv(i->second.fulfiller);
  pending_.erase(i);
  fulfiller->fulfill(std::move(r));
}

std::optional<kj::TimePoint> service_inbox::earliest_deadline() {
  while (!deadlines_.empty() && pending_.count(deadlines_.top().second) == 0)
    deadlines_.pop();
  if (deadlines_.empty()) return std::nullopt;
  return deadlines_.top().first;
}

void service_inbox::arm_sweep() {
  auto at = earliest_deadline();
  if (!at || (armed_at_ && *armed_at_ <= *at)) return;
  // Replacing the promise cancels a later sweep; never called from inside a sweep.
  armed_at_ = at;
  sweeping_ = sweep_at(*at).eagerlyEvaluate(nullptr);
}

kj::Promise<void> service_inbox::sweep_at(kj::TimePoint at) {
  return timer_.atTime(at).then([this]() -> kj::Promise<void> {
    auto now = timer_.now();
    while (auto next = earliest_deadline()) {
      if (*next > now) break;
      auto id = deadlines_.top().second;
      deadlines_.pop();
      auto region = pending_.at(id).region;
      answer(id, std::unexpected{made_up(errc::timeout, region,
                                         "the region peer did not answer in time", true)});
    }
    armed_at_ = earliest_deadline();
    if (!armed_at_) return kj::READY_NOW;
    return sweep_at(*armed_at_);
  });
}

}  // namespace rdb
