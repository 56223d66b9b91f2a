#include "actors/transport/connector.hpp"

#include <charconv>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/after.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/common/atoms.hpp"
#include "actors/common/log.hpp"
#include "actors/transport/ports.hpp"

namespace rdb {

namespace {

/// CAF's `remote_actor`, unless a bounded probe opens no TCP connection to the address.
template <class Handle>
caf::expected<Handle> connect_to(caf::actor_system& sys, const std::string& host,
                                 std::uint16_t port, std::chrono::milliseconds timeout) {
  if (!reachable(host, port, timeout))
    return caf::make_error(caf::sec::cannot_connect_to_node,
                           "no TCP connection within " + std::to_string(timeout.count()) + " ms",
                           host, port);
  return sys.middleman().remote_actor<Handle>(host, port);
}

}  // namespace

std::optional<std::pair<std::string, std::uint16_t>> split_address(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  std::uint16_t port = 0;
  const char* first = address.data() + colon + 1;
  const char* last = address.data() + address.size();
  auto [end, ec] = std::from_chars(first, last, port);
  if (ec != std::errc{} || end != last || first == last) return std::nullopt;
  return std::make_pair(address.substr(0, colon), port);
}

connector::connector(caf::actor_system& sys, caf::actor pd_link, std::shared_ptr<address_book> book,
                     connector_config cfg)
    : sys_(sys),
      pd_link_(std::move(pd_link)),
      book_(std::move(book)),
      cfg_(std::move(cfg)),
      pd_backoff_(cfg_.interval, cfg_.max_backoff) {
  thread_ = std::thread([this] { run(); });
}

connector::~connector() {
  stop();
}

void connector::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void connector::attach(store_id self, local_transport_actor transport) {
  std::lock_guard<std::mutex> guard{mtx_};
  self_ = self;
  transport_ = std::move(transport);
}

store_id connector::register_store(store_id id, std::chrono::steady_clock::time_point deadline) {
  caf::scoped_actor self{sys_};
  auto pd = caf::actor_cast<pd::pd_actor>(pd_link_);
  pd::store_info info;
  info.id = id;
  info.address = cfg_.address;
  info.client_address = cfg_.client_address;
  // At least one try, then until the deadline.
  for (;;) {
    store_id got;
    self->request(pd, cfg_.request_timeout, pd::put_store_atom::value, info)
        .receive([&](store_id s) { got = s; },
                 [&](caf::error& e) {
                   log(log_level::debug, "connector", 0,
                       "registering with PD failed: " + sys_.render(e));
                 });
    if (!got.is_none()) return got;
    if (stopping_ || std::chrono::steady_clock::now() >= deadline) return store_id{};
    std::this_thread::sleep_for(cfg_.interval);
  }
}

void connector::run() {
  caf::scoped_actor self{sys_};
  while (!stopping_) {
    if (!pd_ && pd_backoff_.due(std::chrono::steady_clock::now())) {
      auto h = connect_to<pd::pd_actor>(sys_, cfg_.pd_host, cfg_.pd_port, cfg_.connect_timeout);
      if (!h) {
        pd_backoff_.failed(std::chrono::steady_clock::now());
      } else {
        pd_backoff_.succeeded();
        pd_ = *h;
        self->monitor(pd_);
        self->send(pd_link_, connect_atom::value, caf::actor_cast<caf::actor>(pd_));
        registered_ = false;
        log_info("connector",
                 "connected to PD at " + cfg_.pd_host + ":" + std::to_string(cfg_.pd_port));
      }
    }
    store_id me;
    local_transport_actor transport;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      me = self_;
      transport = transport_;
    }
    bool settled = refresh(self, me, transport);
    bool woken = false;
    self->receive(
        [&](caf::down_msg& dm) {
          on_down(dm, transport);
          woken = true;
        },
        caf::after(settled ? cfg_.settled_interval : cfg_.interval) >> [] {});
    // Every loss already queued is handled before the next round: a round asks PD first, and
    // PD may be among the losses (a request into a dead connection waits out its timeout).
    while (woken) {
      woken = false;
      self->receive(
          [&](caf::down_msg& dm) {
            on_down(dm, transport);
            woken = true;
          },
          caf::after(std::chrono::milliseconds{0}) >> [] {});
    }
  }
  for (auto& [id, p] : peers_)
    self->demonitor(p.handle);
  if (pd_) self->demonitor(caf::actor_cast<caf::actor>(pd_));
}

bool connector::refresh(caf::scoped_actor& self, store_id me,
                        const local_transport_actor& transport) {
  bool settled = pd_ && list_stores(self, me);
  // With PD away, the stores it listed last are still where they were: a store whose
  // connections dropped (paused, restarted) is reached again without waiting for PD.
  if (!transport || known_stores_.empty()) return false;
  return connect_stores(self, me, transport) && settled;
}

bool connector::list_stores(caf::scoped_actor& self, store_id me) {
  if (!me.is_none() && !registered_)
    registered_ = register_store(me, std::chrono::steady_clock::now()) == me;
  std::vector<pd::store_info> stores;
  self->request(pd_, cfg_.request_timeout, pd::get_stores_atom::value)
      .receive([&](std::vector<pd::store_info>& xs) { stores = std::move(xs); },
               [&](caf::error& e) {
                 log(log_level::debug, "connector", 0, "listing stores failed: " + sys_.render(e));
               });
  if (stores.empty()) return false;
  std::map<store_id, std::string> book;
  for (const auto& s : stores)
    if (s.state != pd::store_state::tombstone) book[s.id] = s.client_address;
  bool settled = registered_ && book == last_book_;
  last_book_ = book;
  book_->replace(std::move(book));
  known_stores_ = std::move(stores);
  return settled;
}

bool connector::connect_stores(caf::scoped_actor& self, store_id me,
                               const local_transport_actor& transport) {
  bool settled = true;
  for (const auto& s : known_stores_) {
    if (s.id == me || s.state == pd::store_state::tombstone) continue;
    auto known = peers_.find(s.id);
    if (known != peers_.end()) {
      if (known->second.address == s.address) continue;
      // The store restarted elsewhere: the old connection is stale.
      self->demonitor(known->second.handle);
      self->send(transport, disconnect_atom::value, s.id);
      peers_.erase(known);
    }
    auto hp = split_address(s.address);
    settled = false;
    if (!hp) continue;
    auto wait = store_backoff_.try_emplace(s.address, cfg_.interval, cfg_.max_backoff).first;
    if (!wait->second.due(std::chrono::steady_clock::now())) continue;
    auto h = connect_to<transport_inbox_actor>(sys_, hp->first, hp->second, cfg_.connect_timeout);
    if (!h) {
      auto next = wait->second.failed(std::chrono::steady_clock::now());
      log(log_level::debug, "connector", 0,
          "store " + std::to_string(s.id.value()) + " at " + s.address +
              " unreachable (next try in " + std::to_string(next.count()) +
              " ms): " + sys_.render(h.error()));
      continue;
    }
    store_backoff_.erase(wait);
    self->monitor(*h);
    self->send(transport, connect_atom::value, s.id, *h);
    peers_[s.id] = peer_store{s.address, caf::actor_cast<caf::actor>(*h)};
    log_info("connector",
             "connected to store " + std::to_string(s.id.value()) + " at " + s.address);
  }
  return settled;
}

void connector::on_down(const caf::down_msg& dm, const local_transport_actor& transport) {
  if (pd_ && dm.source == pd_.address()) {
    pd_ = nullptr;
    caf::anon_send(pd_link_, disconnect_atom::value);
    log_warning("connector", "lost the connection to PD");
    return;
  }
  for (auto i = peers_.begin(); i != peers_.end(); ++i) {
    if (i->second.handle.address() != dm.source) continue;
    if (transport) caf::anon_send(transport, disconnect_atom::value, i->first);
    log_warning("connector", "lost the connection to store " + std::to_string(i->first.value()));
    peers_.erase(i);
    return;
  }
}

}  // namespace rdb
