// rdb-node: one process of an rdb cluster. Runs the placement driver, a store, or both
// (--mode). Configuration comes from CAF's config system: command-line flags override the ini
// file (--config-file, default caf-application.ini in the working directory, [global]
// section). `rdb-node --help` lists every option with its default.
//
// Once serving it prints one line to stdout:
//   rdb-node ready mode=<mode> pd=<host:port> store=<id> peer=<host:port> client=<host:port>
// SIGTERM or SIGINT stops it gracefully: it stops accepting clients, flushes both store
// writers and closes the store.
#include <jemalloc/jemalloc.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/exit_reason.hpp>
#include <caf/io/middleman.hpp>
#include <caf/send.hpp>

#include "actors/common/log.hpp"
#include "actors/kv/kv_service.hpp"
#include "actors/pd_client/pd_link.hpp"
#include "actors/store/store_node.hpp"
#include "actors/store/store_types.hpp"
#include "actors/transport/connector.hpp"
#include "actors/transport/ports.hpp"
#include "pd/pd_actor.hpp"
#include "storage/store.hpp"
#include "tools/rdb-node/bootstrapper.hpp"
#include "tools/rdb-node/node_config.hpp"

using namespace rdb;
using namespace rdb::node;

namespace {

/// The node allocates through jemalloc (linked in; see tools/rdb-node/meson.build): its
/// version, as jemalloc reports it.
std::string allocator_version() {
  const char* version = nullptr;
  std::size_t size = sizeof version;
  if (mallctl("version", &version, &size, nullptr, 0) != 0 || version == nullptr)
    return "jemalloc (version unknown)";
  return std::string{"jemalloc "} + version;
}

/// How long the actor system's teardown may take once every part of the node has stopped.
constexpr auto teardown_bound = std::chrono::seconds{10};

/// Ends the process if the actor system's teardown outlives `teardown_bound`. CAF 0.17 waits
/// in `~actor_system` for every detached actor to be destroyed, and now and then something
/// inside the framework keeps the PD actor alive after it terminated (seen after runs under
/// heavy heartbeat load): the process then ignored SIGTERM for good. By then the stores are
/// closed and PD commits each change with a sync, so nothing is lost by leaving.
void bound_teardown() {
  std::thread{[] {
    std::this_thread::sleep_for(teardown_bound);
    log_error("node", "the actor system did not shut down within " +
                          std::to_string(teardown_bound.count()) + " s; exiting");
    std::_Exit(0);
  }}.detach();
}

/// True once SIGTERM or SIGINT is pending (they are blocked: nothing is interrupted).
bool stop_requested(const sigset_t& signals) {
  timespec zero{0, 0};
  return sigtimedwait(&signals, nullptr, &zero) > 0;
}

struct pd_part {
  pd::pd_actor actor;
  std::uint16_t port = 0;
  std::unique_ptr<bootstrapper> boot;
};

std::optional<pd_part> start_pd(caf::actor_system& sys, const node_config& cfg) {
  pd::pd_config pc;
  pc.tick_interval = cfg.pd_tick_interval;
  pc.cluster.balance_leaders = cfg.balance_leaders;
  pc.cluster.balance_regions = cfg.balance_regions;
  pc.cluster.replica_repair = cfg.replica_repair;
  auto ticks = [&](caf::timespan d) {
    return static_cast<std::uint64_t>((d + cfg.pd_tick_interval - caf::timespan{1}) /
                                      cfg.pd_tick_interval);
  };
  pc.cluster.max_store_down_ticks = ticks(cfg.max_store_down_time);
  pc.cluster.operator_timeout_ticks = ticks(cfg.operator_timeout);
  pc.cluster.schedule_limit = static_cast<std::uint32_t>(cfg.schedule_limit);
  pc.detached = true;
  auto pd = pd::spawn_pd(sys, cfg.data_dir + "/pd", pc);
  if (!pd) {
    log_error("pd", "cannot open " + cfg.data_dir + "/pd: " + pd.error().message);
    return std::nullopt;
  }
  auto port = sys.middleman().publish(*pd, cfg.pd_port, cfg.host.c_str(), true);
  if (!port) {
    log_error("pd", "cannot listen on " + cfg.host + ":" + std::to_string(cfg.pd_port) + ": " +
                        sys.render(port.error()));
    caf::anon_send_exit(*pd, caf::exit_reason::user_shutdown);
    return std::nullopt;
  }
  pd_part out{*pd, *port, nullptr};
  out.boot = std::make_unique<bootstrapper>(sys, *pd, bootstrap_plan(cfg));
  log_info("pd", "listening on " + cfg.host + ":" + std::to_string(*port));
  return out;
}

struct store_part {
  caf::actor link;
  std::unique_ptr<connector> conn;
  std::unique_ptr<store_node> node;
  std::unique_ptr<kv_service> kv;
  store_id id;
  std::uint16_t peer_port = 0;
  std::uint16_t client_port = 0;

  void stop() {
    if (kv) kv->stop();
    if (conn) conn->stop();
    if (node) node->stop();
    if (link) caf::anon_send_exit(link, caf::exit_reason::user_shutdown);
  }
};

/// The id of the store in `dir` if it has one.
store_id existing_store(const std::string& dir) {
  if (!std::filesystem::exists(dir + "/kv")) return store_id{};
  storage::store_options opts;
  opts.read_only = true;
  auto st = storage::store::open(dir + "/kv", opts);
  return st ? (*st)->ident().store : store_id{};
}

std::unique_ptr<store_part> start_store(caf::actor_system& sys, const node_config& cfg,
                                        std::uint16_t pd_port, const sigset_t& signals) {
  auto part = std::make_unique<store_part>();
  part->peer_port = cfg.peer_port != 0 ? cfg.peer_port : pick_port(cfg.host);
  part->client_port = cfg.client_port != 0 ? cfg.client_port : pick_port(cfg.host);
  if (part->peer_port == 0 || part->client_port == 0) {
    log_error("store", "no free port on " + cfg.host);
    return nullptr;
  }
  connector_config cc;
  if (pd_port != 0) {
    // PD runs in this process (--mode=both) and listens on --host.
    cc.pd_host = cfg.host;
    cc.pd_port = pd_port;
  } else {
    auto pd_host = split_address(cfg.pd_address);
    cc.pd_host = pd_host->first;
    cc.pd_port = pd_host->second;
  }
  cc.address = cfg.host + ":" + std::to_string(part->peer_port);
  cc.client_address = cfg.host + ":" + std::to_string(part->client_port);
  auto book = std::make_shared<address_book>();
  part->link = spawn_pd_link(sys);
  part->conn = std::make_unique<connector>(sys, part->link, book, cc);

  auto dir = cfg.data_dir + "/store";
  store_node_config sc;
  sc.dir = dir;
  sc.store.cluster = cluster_id{cfg.cluster_id};
  sc.store.store = existing_store(dir);
  if (sc.store.store.is_none()) {
    log_info("store", "registering " + cc.address + " with PD at " + cc.pd_host + ":" +
                          std::to_string(cc.pd_port));
    while (sc.store.store.is_none()) {
      if (stop_requested(signals)) return nullptr;
      sc.store.store = part->conn->register_store(
          store_id{}, std::chrono::steady_clock::now() + std::chrono::seconds{1});
    }
    sc.store.create_if_missing = true;
  }
  part->id = sc.store.store;
  sc.peer.election_tick = cfg.election_ticks;
  sc.peer.heartbeat_tick = cfg.heartbeat_ticks;
  sc.peer.lease = cfg.read_lease();
  log_info("store", sc.peer.lease.count() > 0
                        ? "leaders serve reads by a lease of " +
                              std::to_string(sc.peer.lease.count() / 1'000'000) + " ms"
                        : std::string{"lease reads are off: every read takes a heartbeat round"});
  sc.peer.max_outstanding_readies = cfg.write_pipeline;
  sc.peer.log_gc_ticks = cfg.log_gc_ticks;
  sc.peer.down_after = cfg.peer_down_after;
  sc.peer.log_gc_threshold = cfg.log_gc_threshold;
  sc.peer.log_gc_count_limit = cfg.log_gc_count_limit;
  sc.snapshot.max_bytes_per_sec = cfg.snapshot_max_bytes_per_sec;
  sc.region_split_size = cfg.region_split_size;
  sc.region_split_keys = cfg.region_split_keys;
  sc.transport.allow_partitions = cfg.allow_partitions;
  sc.split_check_interval = cfg.split_check_interval;
  sc.peer.limits = request_limits{cfg.max_key_bytes, cfg.max_value_bytes};
  sc.tick_interval = cfg.tick_interval;
  sc.pd = caf::actor_cast<pd::pd_actor>(part->link);
  auto node = store_node::open(sys, sc);
  if (!node) {
    log_error("store", "cannot open " + dir + ": " + node.error().message);
    part->stop();
    return nullptr;
  }
  part->node = std::move(*node);
  auto inbox = caf::actor_cast<transport_inbox_actor>(part->node->transport());
  auto published = sys.middleman().publish(inbox, part->peer_port, cfg.host.c_str(), true);
  if (!published) {
    log_error("store", "cannot listen on " + cc.address + ": " + sys.render(published.error()));
    part->stop();
    return nullptr;
  }
  kv_service_config kc;
  kc.store = part->id;
  kc.host = cfg.host;
  kc.port = part->client_port;
  kc.limits = sc.peer.limits;
  if (sc.peer.lease.count() > 0)
    kc.local_reads = std::make_shared<local_reader>(part->node->leases(), part->node->store().kv);
  auto kv = kv_service::start(sys, part->node->routes(), sc.pd, book, kc);
  if (!kv) {
    log_error("store", kv.error().message);
    part->stop();
    return nullptr;
  }
  part->kv = std::move(*kv);
  part->conn->attach(part->id, part->node->transport());
  auto started = part->node->start();
  log_info("store", "store " + std::to_string(part->id.value()) + " started " +
                        std::to_string(started) + " regions from disk");
  return part;
}

}  // namespace

int main(int argc, char** argv) {
  // CAF installs no signal handler: block the stop signals in every thread (the actor system's
  // threads inherit the mask) and take them with sigtimedwait on this one.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  node_config cfg;
  if (auto err = cfg.parse(argc, argv)) {
    std::fprintf(stderr, "rdb-node: %s\n", cfg.render(err).c_str());
    return 2;
  }
  if (cfg.cli_helptext_printed) return 0;
  if (auto problem = cfg.validate(); !problem.empty()) {
    std::fprintf(stderr, "rdb-node: %s\n", problem.c_str());
    return 2;
  }
  log_info("node", "allocator: " + allocator_version());
  caf::actor_system sys{cfg};

  std::optional<pd_part> pd;
  if (cfg.runs_pd() && !(pd = start_pd(sys, cfg))) return 1;
  std::unique_ptr<store_part> store;
  if (cfg.runs_store()) {
    store = start_store(sys, cfg, pd ? pd->port : 0, signals);
    if (!store) {
      if (pd) caf::anon_send_exit(pd->actor, caf::exit_reason::user_shutdown);
      return 1;
    }
  }
  std::string line = "rdb-node ready mode=" + cfg.mode;
  line += " pd=" + (pd ? cfg.host + ":" + std::to_string(pd->port) : cfg.pd_address);
  if (store) {
    line += " store=" + std::to_string(store->id.value());
    line += " peer=" + cfg.host + ":" + std::to_string(store->peer_port);
    line += " client=" + cfg.host + ":" + std::to_string(store->client_port);
  }
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);

  int sig = 0;
  while (sigwait(&signals, &sig) != 0) {
  }
  log_info("node", std::string{"stopping on "} + (sig == SIGINT ? "SIGINT" : "SIGTERM"));
  if (store) store->stop();
  if (pd) {
    pd->boot.reset();
    caf::anon_send_exit(pd->actor, caf::exit_reason::user_shutdown);
  }
  log_info("node", "stopped");
  bound_teardown();
  return 0;
}
