#include "actors/common/errc.hpp"

#include <utility>

namespace rdb {

std::string to_string(errc code) {
  switch (code) {
    case errc::region_not_found:
      return "region_not_found";
    case errc::key_not_in_region:
      return "key_not_in_region";
    case errc::not_leader:
      return "not_leader";
    case errc::epoch_not_match:
      return "epoch_not_match";
    case errc::server_busy:
      return "server_busy";
    case errc::timeout:
      return "timeout";
    case errc::invalid_argument:
      return "invalid_argument";
    case errc::storage_corrupt:
      return "storage_corrupt";
  }
  return "unknown";
}

request_error make_request_error(errc code, region_id region, std::string detail) {
  request_error e;
  e.code = code;
  e.region = region;
  e.detail = std::move(detail);
  return e;
}

request_error make_not_leader(region_id region, storage::region_peer leader) {
  request_error e;
  e.code = errc::not_leader;
  e.region = region;
  e.detail = leader.id.is_none() ? "no leader known"
                                 : "leader is peer " + std::to_string(leader.id.value()) +
                                       " on store " + std::to_string(leader.store.value());
  e.leader = leader;
  return e;
}

request_error make_epoch_not_match(storage::region_meta current, std::string detail) {
  request_error e;
  e.code = errc::epoch_not_match;
  e.region = current.id;
  e.detail = std::move(detail);
  e.regions.push_back(std::move(current));
  return e;
}

}  // namespace rdb
