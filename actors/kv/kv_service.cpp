#include "actors/kv/kv_service.hpp"

#include <expected>
#include <future>
#include <thread>
#include <utility>

#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>

#include <caf/actor_system.hpp>

#include "actors/common/errors.hpp"
#include "actors/common/log.hpp"
#include "actors/kv/kv_stream.hpp"
#include "actors/kv/local_reader.hpp"
#include "actors/kv/service_inbox.hpp"
#include "actors/router/route_table.hpp"
#include "schemas/kv.capnp.h"

namespace rdb {

namespace {

capnp::Data::Reader bytes(const std::string& s) {
  return {reinterpret_cast<const kj::byte*>(s.data()), s.size()};
}

std::string text(capnp::Data::Reader d) {
  return {reinterpret_cast<const char*>(d.begin()), d.size()};
}

std::string_view as_view(capnp::Data::Reader d) {
  return {reinterpret_cast<const char*>(d.begin()), d.size()};
}

request_header header_of(kv::Header::Reader h) {
  request_header out;
  out.region = region_id{h.getRegion()};
  out.epoch.conf_ver = h.getConfVer();
  out.epoch.version = h.getVersion();
  return out;
}

class kv_impl final : public kv::Kv::Server {
 public:
  kv_impl(caf::actor_system& sys, service_inbox& inbox, std::shared_ptr<route_holder> routes,
          pd::pd_actor pd, std::shared_ptr<address_book> book, kv_service_config cfg)
      : sys_(sys),
        inbox_(inbox),
        routes_(std::move(routes)),
        pd_(std::move(pd)),
        book_(std::move(book)),
        cfg_(std::move(cfg)) {}

  kj::Promise<void> get(GetContext ctx) override {
    auto p = ctx.getParams();
    if (refuse_key(p.getKey(), ctx.getResults().initError())) return kj::READY_NOW;
    get_request req{header_of(p.getHeader()), text(p.getKey())};
    if (auto table = routes_->load(); table && cfg_.local_reads) {
      if (auto local = cfg_.local_reads->get(*table, req)) {
        auto res = ctx.getResults();
        res.setFound(local->found);
        res.setValue(bytes(local->value));
        return kj::READY_NOW;
      }
    }
    return to_region<get_response>(kv_get_atom::value, std::move(req), req.key)
        .then([this, ctx](reply<get_response>&& r) mutable {
          auto res = ctx.getResults();
          if (!r) return set_error(res.initError(), r.error());
          res.setFound(r->found);
          res.setValue(bytes(r->value));
        });
  }

  kj::Promise<void> put(PutContext ctx) override {
    auto p = ctx.getParams();
    auto err = ctx.getResults().initError();
    if (refuse_key(p.getKey(), err) || refuse_value(p.getValue(), err)) return kj::READY_NOW;
    put_request req{header_of(p.getHeader()), text(p.getKey()), text(p.getValue()),
                    client_id{p.getClient()}, p.getSeq(),       p.getFirstIncomplete()};
    return answer_write(ctx,
                        to_region<write_response>(kv_put_atom::value, std::move(req), req.key));
  }

  kj::Promise<void> delete_(DeleteContext ctx) override {
    auto p = ctx.getParams();
    if (refuse_key(p.getKey(), ctx.getResults().initError())) return kj::READY_NOW;
    delete_request req{header_of(p.getHeader()), text(p.getKey()), client_id{p.getClient()},
                       p.getSeq(), p.getFirstIncomplete()};
    return answer_write(ctx,
                        to_region<write_response>(kv_delete_atom::value, std::move(req), req.key));
  }

  kj::Promise<void> compareAndSwap(CompareAndSwapContext ctx) override {
    auto p = ctx.getParams();
    auto err = ctx.getResults().initError();
    if (refuse_key(p.getKey(), err) || refuse_value(p.getExpected(), err) ||
        refuse_value(p.getValue(), err))
      return kj::READY_NOW;
    cas_request req{header_of(p.getHeader()),
                    text(p.getKey()),
                    p.getExpectAbsent(),
                    text(p.getExpected()),
                    text(p.getValue()),
                    client_id{p.getClient()},
                    p.getSeq(),
                    p.getFirstIncomplete()};
    return to_region<cas_response>(kv_cas_atom::value, std::move(req), req.key)
        .then([this, ctx](reply<cas_response>&& r) mutable {
          auto res = ctx.getResults();
          if (!r) return set_error(res.initError(), r.error());
          res.setSwapped(r->swapped);
          res.setFound(r->found);
          res.setPrevious(bytes(r->previous));
          res.setRetried(r->retried);
          res.setIndex(r->index.value());
        });
  }

  kj::Promise<void> scan(ScanContext ctx) override {
    auto p = ctx.getParams();
    auto err = ctx.getResults().initError();
    if (refuse_key(p.getStartKey(), err) || refuse_key(p.getEndKey(), err)) return kj::READY_NOW;
    if (p.getLimit() == 0) {
      err.setDetail("scan limit must be at least 1");
      err.setInvalidArgument();
      return kj::READY_NOW;
    }
    scan_request req{header_of(p.getHeader()), text(p.getStartKey()), text(p.getEndKey()),
                     p.getLimit()};
    return to_region<scan_response>(kv_scan_atom::value, std::move(req), req.start_key)
        .then([this, ctx](reply<scan_response>&& r) mutable {
          auto res = ctx.getResults();
          if (!r) return set_error(res.initError(), r.error());
          auto pairs = res.initPairs(static_cast<unsigned>(r->pairs.size()));
          for (unsigned i = 0; i < pairs.size(); ++i) {
            pairs[i].setKey(bytes(r->pairs[i].key));
            pairs[i].setValue(bytes(r->pairs[i].value));
          }
          res.setScannedEnd(bytes(r->scanned_end));
        });
  }

  kj::Promise<void> batchGet(BatchGetContext ctx) override {
    auto keys = ctx.getParams().getKeys();
    auto promises = kj::heapArrayBuilder<kj::Promise<reply<get_response>>>(keys.size());
    for (auto k : keys) {
      if (refuse_key(k, ctx.getResults().initError())) return kj::READY_NOW;
      get_request req{request_header{}, text(k)};
      promises.add(to_region<get_response>(kv_get_atom::value, std::move(req), req.key));
    }
    return kj::joinPromises(promises.finish())
        .then([this, ctx](kj::Array<reply<get_response>>&& rs) mutable {
          auto res = ctx.getResults();
          for (auto& r : rs)
            if (!r) return set_error(res.initError(), r.error());
          auto out = res.initResults(static_cast<unsigned>(rs.size()));
          for (unsigned i = 0; i < rs.size(); ++i) {
            out[i].setFound(rs[i]->found);
            out[i].setValue(bytes(rs[i]->value));
          }
        });
  }

  kj::Promise<void> batchPut(BatchPutContext ctx) override {
    auto p = ctx.getParams();
    auto pairs = p.getPairs();
    // Every pair is checked before any is written: a refused batch writes nothing.
    auto err = ctx.getResults().initError();
    for (auto pair : pairs) {
      if (refuse_key(pair.getKey(), err) || refuse_value(pair.getValue(), err))
        return kj::READY_NOW;
    }
    auto promises = kj::heapArrayBuilder<kj::Promise<reply<write_response>>>(pairs.size());
    for (unsigned i = 0; i < pairs.size(); ++i) {
      put_request req{request_header{},
                      text(pairs[i].getKey()),
                      text(pairs[i].getValue()),
                      client_id{p.getClient()},
                      p.getFirstSeq() == 0 ? 0 : p.getFirstSeq() + i,
                      p.getFirstIncomplete()};
      promises.add(to_region<write_response>(kv_put_atom::value, std::move(req), req.key));
    }
    return kj::joinPromises(promises.finish())
        .then([this, ctx](kj::Array<reply<write_response>>&& rs) mutable {
          for (auto& r : rs)
            if (!r) return set_error(ctx.getResults().initError(), r.error());
        });
  }

  kj::Promise<void> regionInfo(RegionInfoContext ctx) override {
    auto key = ctx.getParams().getKey();
    if (refuse_key(key, ctx.getResults().initError())) return kj::READY_NOW;
    return inbox_
        .ask<pd::region_info>(pd_, region_id{}, cfg_.pd_timeout, pd::get_region_atom::value,
                              text(key))
        .then([this, ctx](reply<pd::region_info>&& r) mutable {
          auto res = ctx.getResults();
          auto key = text(ctx.getParams().getKey());
          if (r) {
            res.setFromPd(true);
            return fill_region(res.initRegion(), r->meta, r->leader.id);
          }
          // PD is unreachable or does not know the key yet: this store's own routes still
          // serve its regions.
          auto table = routes_->load();
          const auto* route = table ? table->find_by_key(key) : nullptr;
          if (route) return fill_region(res.initRegion(), route->meta, route->leader.id);
          set_error(res.initError(), r.error());
        });
  }

  kj::Promise<void> ping(PingContext ctx) override {
    ctx.getResults().setStore(cfg_.store.value());
    return kj::READY_NOW;
  }

 private:
  /// Sends `req` straight to the local peer of the region it is routed to (by its header, or by
  /// `key` when the header names no region); its answer comes back through the inbox.
  /// `key` is a copy of the request's key, taken before `req` is moved: an `epoch_not_match`
  /// answer is completed with the region that holds it now.
  template <class T, class Atom, class Request>
  kj::Promise<reply<T>> to_region(Atom atom, Request&& req, std::string key) {
    auto table = routes_->load();
    if (!table)
      return reply<T>{std::unexpected{to_error(make_request_error(
          errc::region_not_found, region_id{}, "the store has not started its regions"))}};
    auto route = table->route(req.header, key);
    if (!route) return reply<T>{std::unexpected{to_error(route.error())}};
    auto region = req.header.region;
    return inbox_
        .ask<T>((*route)->peer, region, cfg_.request_timeout, atom, std::forward<Request>(req))
        .then([this, key = std::move(key)](reply<T>&& r) -> reply<T> {
          if (r) return std::move(r);
          auto e = to_request_error(r.error());
          if (!e || e->code != errc::epoch_not_match) return std::move(r);
          if (auto now = routes_->load()) now->add_holder(*e, key);
          return std::unexpected{to_error(*e)};
        });
  }

  template <class Context>
  kj::Promise<void> answer_write(Context ctx, kj::Promise<reply<write_response>> p) {
    return p.then([this, ctx](reply<write_response>&& r) mutable {
      auto res = ctx.getResults();
      if (!r) return set_error(res.initError(), r.error());
      res.setIndex(r->index.value());
    });
  }

  bool refuse_key(capnp::Data::Reader key, kv::Error::Builder err) const {
    return refuse(cfg_.limits.check_key(as_view(key), region_id{}), err);
  }

  bool refuse_value(capnp::Data::Reader value, kv::Error::Builder err) const {
    return refuse(cfg_.limits.check_value(as_view(value), region_id{}), err);
  }

  static bool refuse(const std::optional<request_error>& e, kv::Error::Builder err) {
    if (!e) return false;
    err.setDetail(e->detail);
    err.setInvalidArgument();
    return true;
  }

  void fill_region(kv::RegionInfo::Builder b, const storage::region_meta& m, peer_id leader) {
    b.setId(m.id.value());
    b.setStartKey(bytes(m.start_key));
    b.setEndKey(bytes(m.end_key));
    b.setConfVer(m.epoch.conf_ver);
    b.setVersion(m.epoch.version);
    b.setLeader(leader.value());
    auto peers = b.initPeers(static_cast<unsigned>(m.peers.size()));
    auto addresses = b.initStoreAddresses(static_cast<unsigned>(m.peers.size()));
    for (unsigned i = 0; i < peers.size(); ++i) {
      const auto& p = m.peers[i];
      peers[i].setId(p.id.value());
      peers[i].setStore(p.store.value());
      peers[i].setLearner(p.role == storage::peer_role::learner);
      addresses[i].setStore(p.store.value());
      addresses[i].setAddress(book_->find(p.store));
    }
  }

  void set_error(kv::Error::Builder b, const caf::error& e) {
    b.setDetail(sys_.render(e));
    auto re = to_request_error(e);
    if (!re) {
      if (e == caf::sec::request_timeout) {
        b.setTimeout();
        b.setMayHaveApplied(true);
      } else {
        b.setServerBusy();
      }
      return;
    }
    b.setMayHaveApplied(re->maybe_applied);
    switch (re->code) {
      case errc::region_not_found:
        return b.setRegionNotFound();
      case errc::key_not_in_region:
        return b.setKeyNotInRegion();
      case errc::not_leader: {
        auto nl = b.initNotLeader();
        nl.setLeaderStore(re->leader.store.value());
        if (!re->leader.store.is_none()) nl.setLeaderAddress(book_->find(re->leader.store));
        return;
      }
      case errc::epoch_not_match: {
        auto regions = b.initEpochNotMatch(static_cast<unsigned>(re->regions.size()));
        for (unsigned i = 0; i < regions.size(); ++i)
          fill_region(regions[i], re->regions[i], peer_id{});
        return;
      }
      case errc::server_busy:
        return b.setServerBusy();
      case errc::timeout:
        return b.setTimeout();
      case errc::invalid_argument:
        return b.setInvalidArgument();
      case errc::storage_corrupt:
        return b.setStorageCorrupt();
    }
    b.setServerBusy();
  }

  caf::actor_system& sys_;
  service_inbox& inbox_;
  std::shared_ptr<route_holder> routes_;
  pd::pd_actor pd_;
  std::shared_ptr<address_book> book_;
  kv_service_config cfg_;
};

/// Accepts clients until the loop ends; each connection is read through a buffer.
kj::Promise<void> accept_clients(capnp::TwoPartyServer& server, kj::ConnectionReceiver& listener) {
  return listener.accept().then([&server, &listener](kj::Own<kj::AsyncIoStream>&& client) {
    server.accept(kj::heap<buffered_stream>(kj::mv(client)));
    return accept_clients(server, listener);
  });
}

}  // namespace

/// The loop's thread and the means to stop it from another thread.
struct kv_service::loop {
  std::thread thread;
  /// Fulfilled (from any thread) to end the loop.
  kj::Own<kj::CrossThreadPromiseFulfiller<void>> stop;
  /// Runs calls on the loop's thread, where the inbox lives.
  const kj::Executor* executor = nullptr;
  const service_inbox* inbox = nullptr;
  bool stopped = false;
};

kv_service::kv_service(std::unique_ptr<loop> l, std::uint16_t port)
    : loop_(std::move(l)), port_(port) {}

kv_service::~kv_service() {
  stop();
}

kv_service::waiting_counts kv_service::waiting() const {
  return loop_->executor->executeSync([inbox = loop_->inbox] {
    return waiting_counts{inbox->pending(), inbox->watched()};
  });
}

void kv_service::stop() {
  if (loop_->stopped) return;
  loop_->stopped = true;
  loop_->stop->fulfill();
  loop_->thread.join();
}

storage::result<std::unique_ptr<kv_service>> kv_service::start(caf::actor_system& sys,
                                                               std::shared_ptr<route_holder> routes,
                                                               pd::pd_actor pd,
                                                               std::shared_ptr<address_book> book,
                                                               kv_service_config cfg) {
  struct started {
    std::uint16_t port = 0;
    std::string failure;
    kj::Own<kj::CrossThreadPromiseFulfiller<void>> stop;
    const kj::Executor* executor = nullptr;
    const service_inbox* inbox = nullptr;
  };
  // Shared: a loop that fails after it started still reaches the promise.
  auto ready = std::make_shared<std::promise<started>>();
  auto ready_future = ready->get_future();
  auto l = std::make_unique<loop>();
  l->thread = std::thread([ready, &sys, routes = std::move(routes), pd = std::move(pd),
                           book = std::move(book), cfg]() mutable {
    // Everything kj lives on this thread.
    kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&] {
      auto io = kj::setupAsyncIo();
      auto addr = io.provider->getNetwork().parseAddress(cfg.host, cfg.port).wait(io.waitScope);
      auto listener = addr->listen();
      auto stop = kj::newPromiseAndCrossThreadFulfiller<void>();
      inbox_config ic;
      ic.max_pending = cfg.max_pending;
      service_inbox inbox{sys, io.unixEventPort, io.provider->getTimer(), ic};
      capnp::TwoPartyServer server(
          kj::heap<kv_impl>(sys, inbox, std::move(routes), std::move(pd), std::move(book), cfg));
      auto serving = accept_clients(server, *listener).eagerlyEvaluate([](kj::Exception&& e) {
        log(log_level::error, "kv", 0,
            std::string{"stopped accepting clients: "} + e.getDescription().cStr());
      });
      ready->set_value(started{static_cast<std::uint16_t>(listener->getPort()),
                               {},
                               kj::mv(stop.fulfiller),
                               &kj::getCurrentThreadExecutor(),
                               &inbox});
      stop.promise.wait(io.waitScope);
    });
    KJ_IF_MAYBE (e, failure) {
      try {
        ready->set_value(started{0, e->getDescription().cStr(), {}});
      } catch (const std::future_error&) {
        // The loop failed after it had started; nothing waits for `ready` any more.
      }
    }
  });
  auto s = ready_future.get();
  if (!s.failure.empty()) {
    l->thread.join();
    return storage::fail(storage::errc::io_error, "kv service on " + cfg.host + ":" +
                                                      std::to_string(cfg.port) + ": " + s.failure);
  }
  l->stop = kj::mv(s.stop);
  l->executor = s.executor;
  l->inbox = s.inbox;
  return std::unique_ptr<kv_service>(new kv_service(std::move(l), s.port));
}

}  // namespace rdb
