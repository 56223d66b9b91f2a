#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tools/client/client.hpp"

/// What a client knows of the cluster, apart from its connections: the stores it was given
/// and those it learned, the regions it cached, and the stores it suspects. Plain C++, no
/// Cap'n Proto: the client's RPC side (client.cpp) fills it and asks it where to go.
namespace rdb::client {

using clock_type = std::chrono::steady_clock;

struct cluster_view {
  std::vector<std::string> seeds;
  std::size_t next_seed = 0;
  std::map<std::uint64_t, std::string> store_addresses;
  /// Keyed by start key.
  std::map<std::string, region, std::less<>> regions;
  /// Stores whose connection failed or that let an attempt time out, until when they are
  /// asked only if nothing else is left: a store paused or cut off holds every call sent to
  /// it, and a follower that has not yet noticed names it as leader for a while.
  std::map<std::string, clock_type::time_point> suspects;

  /// An attempt's failure: retried until the deadline (`what` deadline_exceeded), unless
  /// `cause` is final.
  static error failure(code cause, std::string detail, bool maybe_applied = false);

  bool suspect(const std::string& address) const;
  /// `address` answered: it is not suspect any more.
  void answered(const std::string& address) { suspects.erase(address); }

  /// The cached region holding `key`, or null.
  region* cached(std::string_view key);
  void forget(std::uint64_t id);

  /// Every address worth asking for a region: the seeds, then the stores learned; suspects
  /// last.
  std::vector<std::string> lookup_addresses() const;

  /// Where to send a request for `r`: the leader's store if known, else its replicas in turn;
  /// a suspect store only when no other is known.
  std::string target(const region& r, std::size_t attempt) const;
};

}  // namespace rdb::client
