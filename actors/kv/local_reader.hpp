#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>

#include "actors/region/lease_grant.hpp"
#include "actors/region/requests.hpp"
#include "actors/router/route_table.hpp"
#include "storage/store.hpp"

namespace rdb {

/// Answers gets on the KV service's thread, without a message to the region peer, while the
/// region's local leader holds a read lease and has applied what the read must see (the rule
/// is in actors/region/lease_grant.hpp). Anything else (no lease, apply behind, another epoch,
/// a key outside the region, a storage error) goes to the peer, which answers it as before.
class local_reader {
 public:
  local_reader(std::shared_ptr<const lease_grants> grants, std::shared_ptr<storage::store> data)
      : grants_(std::move(grants)), data_(std::move(data)) {}

  /// The answer to `req`, or nothing when the peer must answer it.
  std::optional<get_response> get(const route_table& table, const get_request& req);

  /// Gets answered here so far.
  std::uint64_t served() const { return served_.load(std::memory_order_relaxed); }

 private:
  std::shared_ptr<const lease_grants> grants_;
  std::shared_ptr<storage::store> data_;
  std::atomic<std::uint64_t> served_{0};
};

}  // namespace rdb
