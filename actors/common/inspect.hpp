#pragma once

#include <string>

#include <caf/meta/type_name.hpp>

#include "storage/types.hpp"

/// CAF `inspect()` overloads for the storage value types that travel in actor messages, in
/// their own namespace so CAF finds them by argument-dependent lookup. storage/ stays free of
/// CAF: this header is the only place that teaches CAF about its types.
namespace rdb::storage {

inline std::string to_string(peer_role r) {
  return r == peer_role::voter ? "voter" : "learner";
}

inline std::string to_string(peer_state s) {
  switch (s) {
    case peer_state::normal:
      return "normal";
    case peer_state::applying:
      return "applying";
    case peer_state::tombstone:
      return "tombstone";
  }
  return "unknown";
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_ident& x) {
  return f(caf::meta::type_name("store_ident"), x.cluster, x.store, x.format);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, apply_state& x) {
  return f(caf::meta::type_name("apply_state"), x.applied_index, x.truncated_index,
           x.truncated_term);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, region_epoch& x) {
  return f(caf::meta::type_name("region_epoch"), x.conf_ver, x.version);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, region_peer& x) {
  return f(caf::meta::type_name("region_peer"), x.id, x.store, x.role);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, region_meta& x) {
  return f(caf::meta::type_name("region_meta"), x.id, x.start_key, x.end_key, x.epoch, x.peers);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, region_local_state& x) {
  return f(caf::meta::type_name("region_local_state"), x.region, x.state);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, client_session& x) {
  return f(caf::meta::type_name("client_session"), x.client, x.watermark, x.last_index, x.applied,
           x.failed);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, kv_pair& x) {
  return f(caf::meta::type_name("kv_pair"), x.key, x.value);
}

}  // namespace rdb::storage
