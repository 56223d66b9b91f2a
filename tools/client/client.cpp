#include "tools/client/client.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>

#include <capnp/ez-rpc.h>
#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>
#include <kj/io.h>
#include <kj/timer.h>

#include "actors/kv/kv_stream.hpp"
#include "schemas/kv.capnp.h"
#include "tools/client/cluster_view.hpp"

namespace rdb::client {

std::string_view to_string(code c) {
  switch (c) {
    case code::invalid_argument:
      return "invalid_argument";
    case code::storage_corrupt:
      return "storage_corrupt";
    case code::deadline_exceeded:
      return "deadline_exceeded";
    case code::not_leader:
      return "not_leader";
    case code::epoch_not_match:
      return "epoch_not_match";
    case code::region_not_found:
      return "region_not_found";
    case code::key_not_in_region:
      return "key_not_in_region";
    case code::server_busy:
      return "server_busy";
    case code::timeout:
      return "timeout";
    case code::connection_lost:
      return "connection_lost";
  }
  return "unknown";
}

namespace {

capnp::Data::Reader bytes(std::string_view s) {
  return {reinterpret_cast<const kj::byte*>(s.data()), s.size()};
}

std::string text(capnp::Data::Reader d) {
  return {reinterpret_cast<const char*>(d.begin()), d.size()};
}

/// What one attempt tells the retry loop.
enum class verdict : std::uint8_t { done, retry_now, retry_later, final };

/// How an attempt (or a whole operation) ended, and why if not done. Each operation carries
/// its own: operations in flight together interleave.
struct step {
  verdict v = verdict::retry_later;
  error why;
};

}  // namespace

struct client::impl : cluster_view {
  using cluster_view::answered;

  explicit impl(options o) : opts(std::move(o)) {
    if (opts.client_id == 0) {
      std::random_device rd;
      opts.client_id = (std::uint64_t{rd()} << 32 | rd()) | 1;
    }
    for (const auto& a : opts.stores)
      seeds.push_back(a);
    // EzRpc keeps one event loop per thread, alive while one of its clients is: this one, on
    // a local socket pair, keeps it for waits and timers even when every store connection is
    // dropped. The other end stays open so it never sees a disconnect; EzRpc does not close
    // the socket it is given, so both ends are closed here, after it.
    int fds[2];
    KJ_SYSCALL(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds));
    anchor_fds[0] = kj::AutoCloseFd{fds[0]};
    anchor_fds[1] = kj::AutoCloseFd{fds[1]};
    anchor = std::make_unique<capnp::EzRpcClient>(fds[0]);
  }

  /// A connection's socket, read through a buffer, and the RPC system on it. Counted: the
  /// connection attempt holds it too, so a connection dropped while connecting outlives the
  /// attempt.
  struct wire final : kj::Refcounted {
    kj::Own<kj::AsyncIoStream> stream;
    kj::Own<capnp::TwoPartyClient> rpc;
  };

  struct connection {
    kj::Own<wire> link;
    kv::Kv::Client cap;
    /// Tells this connection from a later one to the same address.
    std::uint64_t id = 0;
  };

  options opts;
  kj::AutoCloseFd anchor_fds[2];
  std::unique_ptr<capnp::EzRpcClient> anchor;
  std::map<std::string, connection> connections;
  std::uint64_t seq = 0;
  /// Sequence numbers of writes not answered yet: the lowest is what every write reports as
  /// the client's first incomplete one (a region forgets the numbers below it).
  std::set<std::uint64_t> in_flight;
  /// Writes waiting for the window (`write_window`), by sequence number.
  std::map<std::uint64_t, kj::Own<kj::PromiseFulfiller<void>>> held_writes;
  client_stats stats;
  /// The error behind the latest failed attempt.
  error last = failure(code::connection_lost, "no attempt made");

  // -- connections ----------------------------------------------------------------------------

  connection& connect(const std::string& address) {
    auto i = connections.find(address);
    if (i != connections.end()) return i->second;
    ++stats.connections;
    auto link = kj::refcounted<wire>();
    kv::Kv::Client cap = anchor->getIoProvider()
                             .getNetwork()
                             .parseAddress(address)
                             .then([](kj::Own<kj::NetworkAddress>&& a) {
                               auto connected = a->connect();
                               return connected.attach(kj::mv(a));
                             })
                             .then([w = kj::addRef(*link)](kj::Own<kj::AsyncIoStream>&& s) mutable {
                               w->stream = kj::heap<buffered_stream>(kj::mv(s));
                               w->rpc = kj::heap<capnp::TwoPartyClient>(*w->stream);
                               return w->rpc->bootstrap().castAs<kv::Kv>();
                             });
    return connections.emplace(address, connection{kj::mv(link), std::move(cap), stats.connections})
        .first->second;
  }

  kj::WaitScope& wait_scope() { return anchor->getWaitScope(); }
  kj::Timer& timer() { return anchor->getIoProvider().getTimer(); }

  /// The end of one attempt of an operation that must end by `deadline`.
  clock_type::time_point attempt_deadline(clock_type::time_point deadline) const {
    return std::min(deadline, clock_type::now() + opts.attempt_timeout);
  }

  /// `p`, failed with a kj exception if `deadline` passes first.
  template <class T>
  kj::Promise<T> bounded(kj::Promise<T>&& p, clock_type::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - clock_type::now());
    if (left.count() < 1) left = std::chrono::nanoseconds{1};
    return timer().timeoutAfter(left.count() * kj::NANOSECONDS, kj::mv(p));
  }

  /// Waits for `p` until `deadline`; a kj exception (lost connection, timeout) propagates.
  template <class T>
  T wait(kj::Promise<T>&& p, clock_type::time_point deadline) {
    return bounded(kj::mv(p), deadline).wait(wait_scope());
  }

  /// Forgets connection `id` to `address`, which failed with `e`. Only that one: the calls
  /// in flight on it fail with it, and may report it after another took its place.
  void drop(const std::string& address, std::uint64_t id, const kj::Exception& e) {
    auto i = connections.find(address);
    if (i != connections.end() && i->second.id == id) connections.erase(i);
    suspects[address] = clock_type::now() + opts.attempt_timeout;
    last = failure(code::connection_lost, address + ": " + e.getDescription().cStr(), true);
  }

  /// The lowest sequence number still unanswered, `seq` when none other is.
  std::uint64_t first_incomplete(std::uint64_t own) const {
    return in_flight.empty() ? own : std::min(own, *in_flight.begin());
  }

  // -- regions --------------------------------------------------------------------------------

  /// Caches `info`, dropping cached regions it overlaps; learns its stores' addresses.
  void learn(kv::RegionInfo::Reader info, bool from_pd) {
    region r;
    r.from_pd = from_pd;
    r.id = info.getId();
    r.start_key = text(info.getStartKey());
    r.end_key = text(info.getEndKey());
    r.conf_ver = info.getConfVer();
    r.version = info.getVersion();
    for (auto p : info.getPeers()) {
      r.stores.push_back(p.getStore());
      if (p.getId() == info.getLeader()) r.leader_store = p.getStore();
    }
    for (auto a : info.getStoreAddresses())
      if (a.getAddress().size() > 0) store_addresses[a.getStore()] = a.getAddress();
    for (auto i = regions.begin(); i != regions.end();) {
      const auto& o = i->second;
      bool before = !o.end_key.empty() && o.end_key <= r.start_key;
      bool after = !r.end_key.empty() && r.end_key <= o.start_key;
      i = (before || after) ? std::next(i) : regions.erase(i);
    }
    regions.emplace(r.start_key, std::move(r));
  }

  /// Makes the region of `key` cached, asking the stores of `addresses` from the `i`th on in
  /// turn when it is not. `done`: cached; `final`: a store refused the key itself, as every
  /// store would; `retry_later`: no store answered by `deadline` (`why` says what failed last).
  kj::Promise<step> locate(std::string key, std::vector<std::string> addresses, std::size_t i,
                           clock_type::time_point deadline, error why) {
    if (cached(key)) return step{verdict::done, {}};
    if (i >= addresses.size() || (i > 0 && clock_type::now() >= deadline))
      return step{verdict::retry_later, std::move(why)};
    ++stats.region_lookups;
    auto& c = connect(addresses[i]);
    auto conn = c.id;
    auto req = c.cap.regionInfoRequest();
    req.setKey(bytes(key));
    return bounded(req.send(), attempt_deadline(deadline))
        .then(
            [this, key, addresses, i,
             deadline](capnp::Response<kv::Kv::RegionInfoResults>&& res) -> kj::Promise<step> {
              answered(addresses[i]);
              auto err = res.getError();
              if (err.isNone()) {
                learn(res.getRegion(), res.getFromPd());
                return locate(key, addresses, i + 1, deadline,
                              failure(code::region_not_found,
                                      addresses[i] + " described a region without the key"));
              }
              // A malformed key is refused by every store alike: no point asking the next.
              auto v = judge(err, 0);
              if (v == verdict::final) return step{v, last};
              return locate(key, addresses, i + 1, deadline, last);
            },
            [this, key, addresses, i, deadline, conn](kj::Exception&& e) {
              drop(addresses[i], conn, e);
              ++next_seed;
              return locate(key, addresses, i + 1, deadline, last);
            });
  }

  kj::Promise<step> locate(std::string key, clock_type::time_point deadline) {
    return locate(std::move(key), lookup_addresses(), 0, deadline,
                  failure(code::connection_lost, "no store address to ask"));
  }

  /// Reads a service error, updating the cache; `done` for none.
  verdict judge(kv::Error::Reader e, std::uint64_t region_id) {
    auto fail = [&](code c) { last = failure(c, e.getDetail(), e.getMayHaveApplied()); };
    switch (e.which()) {
      case kv::Error::NONE:
        return verdict::done;
      case kv::Error::NOT_LEADER: {
        auto nl = e.getNotLeader();
        fail(code::not_leader);
        for (auto& [k, r] : regions)
          if (r.id == region_id) r.leader_store = nl.getLeaderStore();
        if (nl.getLeaderStore() == 0) return verdict::retry_later;
        if (nl.getLeaderAddress().size() > 0)
          store_addresses[nl.getLeaderStore()] = nl.getLeaderAddress();
        // A suspect leader is most likely gone and the replica has not noticed yet: give the
        // election time rather than go round the replicas at once.
        auto named = store_addresses.find(nl.getLeaderStore());
        if (named != store_addresses.end() && suspect(named->second)) return verdict::retry_later;
        return verdict::retry_now;
      }
      case kv::Error::EPOCH_NOT_MATCH:
        fail(code::epoch_not_match);
        forget(region_id);
        for (auto r : e.getEpochNotMatch())
          learn(r, false);
        return verdict::retry_now;
      case kv::Error::REGION_NOT_FOUND:
        fail(code::region_not_found);
        forget(region_id);
        return verdict::retry_later;
      case kv::Error::KEY_NOT_IN_REGION:
        fail(code::key_not_in_region);
        forget(region_id);
        return verdict::retry_later;
      case kv::Error::SERVER_BUSY:
        fail(code::server_busy);
        return verdict::retry_later;
      case kv::Error::TIMEOUT:
        fail(code::timeout);
        return verdict::retry_later;
      case kv::Error::INVALID_ARGUMENT:
        fail(code::invalid_argument);
        return verdict::final;
      case kv::Error::STORAGE_CORRUPT:
        fail(code::storage_corrupt);
        return verdict::final;
    }
    last = failure(code::server_busy, "unknown error kind: " + std::string(e.getDetail()), true);
    return verdict::retry_later;
  }

  /// Positions 0..n-1 grouped by the client address of the leader of key `key_of(i)`'s region;
  /// positions whose leader is unknown go to `alone`, to be sent one by one with retries.
  template <class KeyOf>
  std::map<std::string, std::vector<std::size_t>> group_by_leader(std::size_t n, KeyOf key_of,
                                                                  clock_type::time_point deadline,
                                                                  std::vector<std::size_t>& alone) {
    std::map<std::string, std::vector<std::size_t>> out;
    for (std::size_t i = 0; i < n; ++i) {
      locate(std::string{key_of(i)}, deadline).wait(wait_scope());
      auto* r = cached(key_of(i));
      if (r == nullptr || r->leader_store == 0)
        alone.push_back(i);
      else
        out[target(*r, 0)].push_back(i);
    }
    return out;
  }

  static void set_header(kv::Header::Builder h, const region& r) {
    h.setRegion(r.id);
    h.setConfVer(r.conf_ver);
    h.setVersion(r.version);
  }

  /// One attempt of an operation: its call to `c` about region `r`, answered by `deadline`,
  /// and what the answer means.
  using attempt_fn = std::function<kj::Promise<step>(connection& c, const region& r,
                                                     clock_type::time_point deadline)>;

  /// Runs `attempt` against the region of `key` until it is done, final, or `deadline`
  /// passes; `n` attempts were made before, and the next backoff is `backoff`. For a write,
  /// `uncertain` is set once an attempt ends not knowing whether it took effect.
  kj::Promise<step> routed(std::string key, attempt_fn attempt, clock_type::time_point deadline,
                           std::chrono::milliseconds backoff, std::size_t n,
                           std::shared_ptr<bool> uncertain) {
    if (n > 0) ++stats.retries;
    return locate(key, deadline).then([=, this](step found) -> kj::Promise<step> {
      if (found.v == verdict::final) return kj::mv(found);
      auto* r = cached(key);
      if (r == nullptr) {
        // Cached when the lookup ended, the region may have been dropped by another
        // operation's error since: look again.
        if (found.v == verdict::done) found.v = verdict::retry_now;
        return next(key, attempt, deadline, backoff, n, kj::mv(found), uncertain);
      }
      auto address = target(*r, n);
      auto region_id = r->id;
      ++stats.attempts;
      auto& c = connect(address);
      auto conn = c.id;
      return attempt(c, *r, attempt_deadline(deadline))
          .then(
              [=, this](step s) {
                answered(address);
                if (uncertain && s.v != verdict::done && s.why.maybe_applied) *uncertain = true;
                // A leader that refuses while naming itself (a leadership transfer in flight,
                // its log tail full) needs time, not another call at once. (The region may be
                // gone: an epoch_not_match replaces the cached regions.)
                const auto* now_cached = cached(key);
                if (s.v == verdict::retry_now && now_cached &&
                    target(*now_cached, n + 1) == address)
                  s.v = verdict::retry_later;
                return s;
              },
              [=, this](kj::Exception&& e) {
                drop(address, conn, e);
                // Sent, perhaps received: it may have been proposed.
                if (uncertain) *uncertain = true;
                // The region may have moved or its stores restarted elsewhere: look it up
                // again.
                forget(region_id);
                return step{verdict::retry_later, last};
              })
          .then([=, this](step s) {
            return next(key, attempt, deadline, backoff, n, kj::mv(s), uncertain);
          });
    });
  }

  /// What follows an attempt that ended in `s`.
  kj::Promise<step> next(std::string key, attempt_fn attempt, clock_type::time_point deadline,
                         std::chrono::milliseconds backoff, std::size_t n, step s,
                         std::shared_ptr<bool> uncertain) {
    if (s.v == verdict::done || s.v == verdict::final) return kj::mv(s);
    if (clock_type::now() >= deadline) return step{verdict::final, std::move(s.why)};
    if (s.v == verdict::retry_now)
      return routed(std::move(key), std::move(attempt), deadline, backoff, n + 1, uncertain);
    auto later = std::min(backoff * 2, std::chrono::milliseconds{500});
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(backoff).count();
    return timer()
        .afterDelay(ns * kj::NANOSECONDS)
        .then([=, this, why = std::move(s.why)]() mutable -> kj::Promise<step> {
          // An attempt begun past the deadline could only time out, and would leave a write
          // that never went out looking as if it might have.
          if (clock_type::now() >= deadline) return step{verdict::final, std::move(why)};
          return routed(std::move(key), std::move(attempt), deadline, later, n + 1, uncertain);
        });
  }

  /// Runs `attempt` as `routed` does, until `deadline`. `uncertain`: for a write, what its
  /// failure reports as `maybe_applied`; none for a read.
  kj::Promise<result<void>> run(std::string key, attempt_fn attempt,
                                clock_type::time_point deadline,
                                std::shared_ptr<bool> uncertain = nullptr) {
    return routed(std::move(key), std::move(attempt), deadline, std::chrono::milliseconds{5}, 0,
                  uncertain)
        .then([uncertain](step s) -> result<void> {
          if (s.v == verdict::done) return {};
          s.why.maybe_applied = uncertain && *uncertain;
          return std::unexpected(std::move(s.why));
        });
  }

  /// Runs `attempt` as `routed` does, within the operation deadline from now.
  kj::Promise<result<void>> run(std::string key, attempt_fn attempt) {
    return run(std::move(key), std::move(attempt), clock_type::now() + opts.deadline);
  }

  /// How far above the lowest unanswered number a write may go out. A region remembers 1,024
  /// numbers of a client at or above that one (actors/region/session_table.hpp); a number it forgot
  /// would be applied again by a retry. A batch numbers up to `batch_chunk` (512) more at once.
  static constexpr std::uint64_t write_window = 500;

  /// A write of sequence number `seq`: in flight until it is answered or its promise is
  /// dropped. It waits to go out while `seq` is `write_window` or more above the lowest
  /// unanswered number.
  kj::Promise<result<void>> write(std::string key, std::uint64_t seq, attempt_fn attempt) {
    in_flight.insert(seq);
    auto deadline = clock_type::now() + opts.deadline;
    return window_open(seq)
        .then([this, key = std::move(key), attempt = std::move(attempt), deadline]() mutable {
          return run(std::move(key), std::move(attempt), deadline, std::make_shared<bool>(false));
        })
        .then([this, seq](result<void>&& r) {
          answered(seq);
          return kj::mv(r);
        })
        // A write dropped unanswered is given up just the same.
        .attach(kj::defer([this, seq] { answered(seq); }))
        // It goes on (and its answer frees its place) whether or not its caller waits on it.
        .eagerlyEvaluate(nullptr);
  }

  kj::Promise<void> window_open(std::uint64_t seq) {
    if (seq - *in_flight.begin() < write_window) return kj::READY_NOW;
    auto paf = kj::newPromiseAndFulfiller<void>();
    held_writes.emplace(seq, kj::mv(paf.fulfiller));
    return kj::mv(paf.promise);
  }

  /// Write `seq` is answered or given up: the writes it held back may go.
  void answered(std::uint64_t seq) {
    in_flight.erase(seq);
    held_writes.erase(seq);
    while (!held_writes.empty()) {
      auto i = held_writes.begin();
      if (i->first - *in_flight.begin() >= write_window) break;
      i->second->fulfill();
      held_writes.erase(i);
    }
  }

  /// What an answer with error `e` about region `id` means for the operation.
  step judged(kv::Error::Reader e, std::uint64_t id) {
    auto v = judge(e, id);
    return step{v, v == verdict::done ? error{} : last};
  }
};

client::client(options opts) : impl_(std::make_unique<impl>(std::move(opts))) {}
client::~client() = default;

kj::WaitScope& client::wait_scope() {
  return impl_->wait_scope();
}

const client_stats& client::stats() const {
  return impl_->stats;
}

kj::Promise<result<std::optional<std::string>>> client::get_async(std::string key) {
  auto out = std::make_shared<std::optional<std::string>>();
  auto* im = impl_.get();
  auto attempt = [im, key, out](impl::connection& c, const region& r, clock_type::time_point dl) {
    auto req = c.cap.getRequest();
    impl::set_header(req.initHeader(), r);
    req.setKey(bytes(key));
    auto id = r.id;
    return im->bounded(req.send(), dl).then([im, id, out](auto&& res) {
      auto s = im->judged(res.getError(), id);
      if (s.v == verdict::done && res.getFound()) *out = text(res.getValue());
      return s;
    });
  };
  return impl_->run(std::move(key), attempt)
      .then([out](result<void>&& ok) -> result<std::optional<std::string>> {
        if (!ok) return std::unexpected(ok.error());
        return std::move(*out);
      })
      .eagerlyEvaluate(nullptr);
}

kj::Promise<result<std::uint64_t>> client::ping_async(const std::string& address) {
  auto* im = impl_.get();
  ++im->stats.attempts;
  auto& c = im->connect(address);
  auto conn = c.id;
  auto deadline = im->attempt_deadline(clock_type::now() + im->opts.deadline);
  return im->bounded(c.cap.pingRequest().send(), deadline)
      .then(
          [](capnp::Response<kv::Kv::PingResults>&& res) -> result<std::uint64_t> {
            return res.getStore();
          },
          [im, address, conn](kj::Exception&& e) -> result<std::uint64_t> {
            im->drop(address, conn, e);
            auto err = im->last;
            err.maybe_applied = false;
            return std::unexpected(err);
          })
      .eagerlyEvaluate(nullptr);
}

result<std::uint64_t> client::ping(const std::string& address) {
  return ping_async(address).wait(impl_->wait_scope());
}

result<std::optional<std::string>> client::get(std::string_view key) {
  return get_async(std::string{key}).wait(impl_->wait_scope());
}

kj::Promise<result<void>> client::put_async(std::string key, std::string value) {
  auto seq = ++impl_->seq;
  return put_as(std::move(key), std::move(value), seq);
}

result<void> client::put(std::string_view key, std::string_view value) {
  return put_async(std::string{key}, std::string{value}).wait(impl_->wait_scope());
}

kj::Promise<result<void>> client::put_as(std::string key, std::string value, std::uint64_t seq) {
  // Every attempt carries the same number: a region that applied an earlier one skips this.
  auto* im = impl_.get();
  auto attempt = [im, key, value = std::move(value), seq](impl::connection& c, const region& r,
                                                          clock_type::time_point dl) {
    auto req = c.cap.putRequest();
    impl::set_header(req.initHeader(), r);
    req.setKey(bytes(key));
    req.setValue(bytes(value));
    req.setClient(im->opts.client_id);
    req.setSeq(seq);
    req.setFirstIncomplete(im->first_incomplete(seq));
    auto id = r.id;
    return im->bounded(req.send(), dl).then([im, id](auto&& res) {
      return im->judged(res.getError(), id);
    });
  };
  return impl_->write(std::move(key), seq, attempt);
}

result<cas_outcome> client::compare_and_swap(std::string_view key,
                                             std::optional<std::string_view> expected,
                                             std::string_view value) {
  auto seq = ++impl_->seq;
  auto out = std::make_shared<cas_outcome>();
  auto* im = impl_.get();
  std::optional<std::string> want;
  if (expected) want = std::string{*expected};
  auto attempt = [im, k = std::string{key}, want, v = std::string{value}, seq, out](
                     impl::connection& c, const region& r, clock_type::time_point dl) {
    auto req = c.cap.compareAndSwapRequest();
    impl::set_header(req.initHeader(), r);
    req.setKey(bytes(k));
    req.setExpectAbsent(!want);
    if (want) req.setExpected(bytes(*want));
    req.setValue(bytes(v));
    req.setClient(im->opts.client_id);
    req.setSeq(seq);
    req.setFirstIncomplete(im->first_incomplete(seq));
    auto id = r.id;
    return im->bounded(req.send(), dl).then([im, id, out](auto&& res) {
      auto s = im->judged(res.getError(), id);
      if (s.v == verdict::done) {
        out->swapped = res.getSwapped();
        out->previous.reset();
        if (res.getFound()) out->previous = text(res.getPrevious());
        out->retried = res.getRetried();
      }
      return s;
    });
  };
  auto ok = impl_->write(std::string{key}, seq, attempt).wait(impl_->wait_scope());
  if (!ok) return std::unexpected(ok.error());
  return *out;
}

result<void> client::del(std::string_view key) {
  auto seq = ++impl_->seq;
  auto* im = impl_.get();
  auto attempt = [im, k = std::string{key}, seq](impl::connection& c, const region& r,
                                                 clock_type::time_point dl) {
    auto req = c.cap.deleteRequest();
    impl::set_header(req.initHeader(), r);
    req.setKey(bytes(k));
    req.setClient(im->opts.client_id);
    req.setSeq(seq);
    req.setFirstIncomplete(im->first_incomplete(seq));
    auto id = r.id;
    return im->bounded(req.send(), dl).then([im, id](auto&& res) {
      return im->judged(res.getError(), id);
    });
  };
  return impl_->write(std::string{key}, seq, attempt).wait(impl_->wait_scope());
}

result<std::vector<std::pair<std::string, std::string>>> client::scan(std::string_view start,
                                                                      std::string_view end,
                                                                      std::uint32_t limit) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string from{start};
  while (out.size() < limit) {
    std::string scanned_end;
    std::vector<std::pair<std::string, std::string>> part;
    // The attempts run while this function waits: they may refer to its locals.
    auto attempt = [&](impl::connection& c, const region& r, clock_type::time_point dl) {
      auto req = c.cap.scanRequest();
      impl::set_header(req.initHeader(), r);
      req.setStartKey(bytes(from));
      req.setEndKey(bytes(end));
      req.setLimit(limit - static_cast<std::uint32_t>(out.size()));
      auto id = r.id;
      return impl_->bounded(req.send(), dl).then([&, id](auto&& res) {
        auto s = impl_->judged(res.getError(), id);
        if (s.v != verdict::done) return s;
        part.clear();
        for (auto p : res.getPairs())
          part.emplace_back(text(p.getKey()), text(p.getValue()));
        scanned_end = text(res.getScannedEnd());
        return s;
      });
    };
    auto ok = impl_->run(from, attempt).wait(impl_->wait_scope());
    if (!ok) return std::unexpected(ok.error());
    for (auto& p : part)
      out.push_back(std::move(p));
    // The range ended at +infinity or at `end`: nothing further.
    if (scanned_end.empty() || (!end.empty() && scanned_end >= end)) break;
    from = scanned_end;
  }
  return out;
}

result<std::vector<std::optional<std::string>>> client::batch_get(
    const std::vector<std::string>& keys) {
  std::vector<std::optional<std::string>> out(keys.size());
  // One call per leader store, all in flight together; a key whose call fails is read alone
  // with the usual retries.
  auto deadline = clock_type::now() + impl_->opts.deadline;
  std::vector<std::size_t> alone;
  auto by_store = impl_->group_by_leader(
      keys.size(), [&](std::size_t i) -> const std::string& { return keys[i]; }, deadline, alone);
  for (auto& [address, idx] : by_store) {
    auto& conn = impl_->connect(address);
    auto conn_id = conn.id;
    try {
      auto req = conn.cap.batchGetRequest();
      auto list = req.initKeys(static_cast<unsigned>(idx.size()));
      for (unsigned k = 0; k < idx.size(); ++k)
        list.set(k, bytes(keys[idx[k]]));
      auto res = impl_->wait(req.send(), impl_->attempt_deadline(deadline));
      if (!res.getError().isNone() || res.getResults().size() != idx.size()) {
        alone.insert(alone.end(), idx.begin(), idx.end());
        continue;
      }
      for (unsigned k = 0; k < idx.size(); ++k) {
        auto l = res.getResults()[k];
        if (l.getFound()) out[idx[k]] = text(l.getValue());
      }
    } catch (const kj::Exception& e) {
      impl_->drop(address, conn_id, e);
      alone.insert(alone.end(), idx.begin(), idx.end());
    }
  }
  for (auto i : alone) {
    auto v = get(keys[i]);
    if (!v) return std::unexpected(v.error());
    out[i] = std::move(*v);
  }
  return out;
}

result<void> client::batch_put(const std::vector<std::pair<std::string, std::string>>& pairs) {
  if (pairs.size() <= batch_chunk) return batch_put_chunk(pairs);
  for (std::size_t from = 0; from < pairs.size(); from += batch_chunk) {
    auto to = std::min(pairs.size(), from + batch_chunk);
    std::vector<std::pair<std::string, std::string>> chunk{
        pairs.begin() + static_cast<std::ptrdiff_t>(from),
        pairs.begin() + static_cast<std::ptrdiff_t>(to)};
    if (auto ok = batch_put_chunk(chunk); !ok) {
      // The chunks before it are written.
      ok.error().maybe_applied = ok.error().maybe_applied || from > 0;
      return ok;
    }
  }
  return {};
}

result<void> client::batch_put_chunk(
    const std::vector<std::pair<std::string, std::string>>& pairs) {
  auto deadline = clock_type::now() + impl_->opts.deadline;
  // Every pair has its own number for the whole operation, and none is answered before the
  // operation ends: the lowest is the client's first incomplete write throughout.
  auto first_seq = impl_->seq + 1;
  std::vector<std::uint64_t> seqs(pairs.size());
  std::vector<std::size_t> alone;
  auto by_store = impl_->group_by_leader(
      pairs.size(), [&](std::size_t i) -> const std::string& { return pairs[i].first; }, deadline,
      alone);
  // Pairs sent to a store get consecutive numbers, as batchPut numbers them by position.
  for (auto& [address, idx] : by_store)
    for (auto i : idx)
      seqs[i] = ++impl_->seq;
  for (auto i : alone)
    seqs[i] = ++impl_->seq;
  impl_->in_flight.insert(seqs.begin(), seqs.end());
  auto done = kj::defer([&] {
    for (auto s : seqs)
      impl_->answered(s);
  });
  // Pairs written before a failure stay written: the batch's error then says so.
  bool sent = false;
  auto failed = [&sent](error e) {
    e.maybe_applied = e.maybe_applied || sent;
    return std::unexpected(std::move(e));
  };
  for (auto& [address, idx] : by_store) {
    auto& conn = impl_->connect(address);
    auto conn_id = conn.id;
    try {
      auto req = conn.cap.batchPutRequest();
      auto list = req.initPairs(static_cast<unsigned>(idx.size()));
      for (unsigned k = 0; k < idx.size(); ++k) {
        list[k].setKey(bytes(pairs[idx[k]].first));
        list[k].setValue(bytes(pairs[idx[k]].second));
      }
      req.setClient(impl_->opts.client_id);
      req.setFirstSeq(seqs[idx.front()]);
      req.setFirstIncomplete(impl_->first_incomplete(first_seq));
      auto res = impl_->wait(req.send(), impl_->attempt_deadline(deadline));
      auto err = res.getError();
      if (err.isInvalidArgument() || err.isStorageCorrupt()) {
        impl_->judge(err, 0);
        return failed(impl_->last);
      }
      sent = true;
      if (!err.isNone()) alone.insert(alone.end(), idx.begin(), idx.end());
    } catch (const kj::Exception& e) {
      sent = true;
      impl_->drop(address, conn_id, e);
      alone.insert(alone.end(), idx.begin(), idx.end());
    }
  }
  for (auto i : alone) {
    auto ok = put_as(pairs[i].first, pairs[i].second, seqs[i]).wait(impl_->wait_scope());
    if (!ok) return failed(ok.error());
    sent = true;
  }
  return {};
}

result<region> client::region_of(std::string_view key) {
  auto deadline = clock_type::now() + impl_->opts.deadline;
  if (auto* r = impl_->cached(key)) impl_->forget(r->id);
  auto found = impl_->locate(std::string{key}, deadline).wait(impl_->wait_scope());
  auto* r = impl_->cached(key);
  if (r == nullptr) return std::unexpected(std::move(found.why));
  return *r;
}

}  // namespace rdb::client
