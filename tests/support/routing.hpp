#pragma once

#include <expected>
#include <string_view>

#include "actors/common/errc.hpp"
#include "actors/router/route_table.hpp"

namespace rdb::test {

/// The local peer a store's published routes name for a request about `key`, routed as the KV
/// service routes it (a header naming no region gets the region's id and epoch), or why none.
inline std::expected<region_peer_actor, request_error> peer_for(const route_holder& routes,
                                                                request_header& header,
                                                                std::string_view key) {
  auto table = routes.load();
  if (!table)
    return std::unexpected{
        make_request_error(errc::region_not_found, region_id{}, "no routes published yet")};
  auto r = table->route(header, key);
  if (!r) return std::unexpected{r.error()};
  return (*r)->peer;
}

}  // namespace rdb::test
