#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/transport/address_book.hpp"
#include "actors/transport/backoff.hpp"
#include "actors/transport/transport.hpp"
#include "pd/pd_interface.hpp"

namespace rdb {

struct connector_config {
  /// PD's middleman address.
  std::string pd_host = "127.0.0.1";
  std::uint16_t pd_port = 0;
  /// This store as it registers with PD: its middleman address (its identity at PD) and its
  /// client address.
  std::string address;
  std::string client_address;
  /// Pause between rounds while something is missing or changed in the last round (a fresh
  /// cluster forming, a store lost or come back); and the first wait of a backoff.
  std::chrono::milliseconds interval{100};
  /// Pause between rounds once PD and every store it lists are connected and the list did not
  /// change: the rounds then only notice stores that join later.
  std::chrono::milliseconds settled_interval{500};
  /// Bound on every request to PD.
  std::chrono::milliseconds request_timeout{2000};
  /// A peer (PD or a store) that could not be reached is tried again after `interval`, then
  /// after twice as long each time, up to this; a success starts over. Short, because a store
  /// restarted at the same address is reached again only after its wait ends.
  std::chrono::milliseconds max_backoff{2000};
  /// Bound on opening a TCP connection to a peer before CAF connects to it (see `reachable`):
  /// one peer whose path drops SYNs must not hold up the rounds or a shutdown.
  std::chrono::milliseconds connect_timeout{1000};
};

/// Keeps a store connected: to PD through the PD link (actors/pd_client/pd_link.hpp), and to every
/// other store's transport. Runs on a thread of its own because CAF 0.17 connects with blocking
/// calls; each is preceded by a bounded probe of the address. Each round it reconnects what is
/// missing, re-registers the store's addresses with PD after a new PD connection, and refreshes the
/// address book from PD's store list; between rounds it waits for `down_msg`s of the remote handles
/// it monitors, so a lost connection is noticed within the middleman's connection timeout and the
/// transport stops sending into it.
class connector {
 public:
  /// Starts the rounds at once (PD only until `attach`).
  connector(caf::actor_system& sys, caf::actor pd_link, std::shared_ptr<address_book> book,
            connector_config cfg);
  ~connector();

  connector(const connector&) = delete;
  connector& operator=(const connector&) = delete;

  /// Registers the store with PD, retrying until PD answers or `deadline` passes: the id PD
  /// allocated for the address (or `id` itself when it is known), none on failure.
  store_id register_store(store_id id, std::chrono::steady_clock::time_point deadline);

  /// From now on the rounds also serve store `self`: they register its addresses with PD after
  /// every new PD connection and hand its transport the other stores' handles.
  void attach(store_id self, local_transport_actor transport);

  /// Ends the rounds and joins the thread. Idempotent.
  void stop();

 private:
  struct peer_store {
    std::string address;
    caf::actor handle;
  };

  void run();
  /// One round: the store list from PD if it is connected, then a connection to every store
  /// of the last list; true if nothing was missing and nothing changed.
  bool refresh(caf::scoped_actor& self, store_id me, const local_transport_actor& transport);
  /// Registers with PD if needed and takes its store list; true if it did not change.
  bool list_stores(caf::scoped_actor& self, store_id me);
  /// Connects to every store of the last list not connected yet; true if none was missing.
  bool connect_stores(caf::scoped_actor& self, store_id me, const local_transport_actor& transport);
  void on_down(const caf::down_msg& dm, const local_transport_actor& transport);

  caf::actor_system& sys_;
  caf::actor pd_link_;
  std::shared_ptr<address_book> book_;
  connector_config cfg_;
  /// Set by `attach`, read by the rounds.
  std::mutex mtx_;
  store_id self_;
  local_transport_actor transport_;
  /// Owned by the rounds' thread.
  pd::pd_actor pd_;
  bool registered_ = false;
  std::map<store_id, peer_store> peers_;
  backoff pd_backoff_;
  /// Store addresses that could not be reached, until they are: a store that moved to a new
  /// address is tried there at once.
  std::map<std::string, backoff> store_backoff_;
  /// PD's store list (client addresses) as of the previous round.
  std::map<store_id, std::string> last_book_;
  /// PD's last store list, kept while PD is away.
  std::vector<pd::store_info> known_stores_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

/// Splits "host:port"; nothing if malformed.
std::optional<std::pair<std::string, std::uint16_t>> split_address(const std::string& address);

}  // namespace rdb
