#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/fwd.hpp>
#include <caf/timespan.hpp>

#include "actors/kv/local_reader.hpp"
#include "actors/router/router_interface.hpp"
#include "actors/transport/address_book.hpp"
#include "pd/pd_interface.hpp"
#include "storage/error.hpp"
#include "storage/types.hpp"

namespace rdb {

struct kv_service_config {
  /// The store serving, as `ping` reports it.
  store_id store{};
  std::string host = "127.0.0.1";
  /// 0 picks a free port; `kv_service::port` tells which.
  std::uint16_t port = 0;
  /// Larger keys and values are refused with `invalidArgument` before they reach a region (the
  /// store's region peers check the same limits).
  request_limits limits;
  /// Bound on a `regionInfo` question to PD; past it the store answers from its own routes.
  /// Well inside the client's attempt timeout (2 s): a live store answers before the client
  /// gives up on it, also while PD is away or its connection is dead and not yet noticed.
  caf::timespan pd_timeout = std::chrono::milliseconds{500};
  /// How long a region peer may take to answer before the client gets `timeout`. A peer that
  /// terminates answers what it held, or the service answers `region_not_found` for it. Also
  /// inside the client's attempt timeout: the client learns the outcome is unknown from the
  /// store, rather than suspecting a store that is up.
  caf::timespan request_timeout = std::chrono::milliseconds{1500};
  /// Requests waiting for an answer, beyond which new ones get `server_busy`.
  std::size_t max_pending = 100'000;
  /// When set, gets for regions whose local leader holds a read lease are answered on the
  /// service's thread, without a message to the peer.
  std::shared_ptr<local_reader> local_reads;
};

/// The client KV service of one store (schemas/kv.capnp): a Cap'n Proto RPC server on a kj
/// event loop of its own thread. Each call is routed by the store's published route table and
/// sent straight to the region's peer (PD for `regionInfo`), whose answer comes back to the
/// service's inbox (actors/kv/service_inbox.hpp): no actor per request, no relay, no CAF timer
/// per request, and the loop never blocks on the actor system. A malformed or oversized
/// message costs only the connection it came on: Cap'n Proto drops that connection and the loop
/// keeps serving.
class kv_service {
 public:
  /// Binds the port and starts serving. `pd` may be a handle that forwards to PD (see
  /// actors/pd_client/pd_link.hpp); a failed PD question falls back to this store's routes.
  static storage::result<std::unique_ptr<kv_service>> start(caf::actor_system& sys,
                                                            std::shared_ptr<route_holder> routes,
                                                            pd::pd_actor pd,
                                                            std::shared_ptr<address_book> book,
                                                            kv_service_config cfg);

  kv_service(const kv_service&) = delete;
  kv_service& operator=(const kv_service&) = delete;

  /// Stops serving (see `stop`).
  ~kv_service();

  std::uint16_t port() const { return port_; }

  /// What the service holds for requests in flight, read on its loop's thread.
  struct waiting_counts {
    /// Requests sent to a region peer (or PD) and not answered yet.
    std::size_t requests = 0;
    /// Actors monitored because a request went to them; each leaves when it terminates.
    std::size_t watched = 0;
  };
  waiting_counts waiting() const;

  /// Closes the listener and every connection, then joins the loop's thread. Calls in flight
  /// are dropped; their clients see a disconnect and retry. Idempotent.
  void stop();

  struct loop;

 private:
  explicit kv_service(std::unique_ptr<loop> l, std::uint16_t port);

  std::unique_ptr<loop> loop_;
  std::uint16_t port_;
};

}  // namespace rdb
