#pragma once

#include <caf/meta/type_name.hpp>

#include "actors/common/inspect.hpp"
#include "pd/types.hpp"

/// CAF `inspect()` overloads for the PD message types (pd/types.hpp).
namespace rdb::pd {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bootstrap_request& x) {
  return f(caf::meta::type_name("bootstrap_request"), x.cluster, x.split_keys, x.replicas,
           x.stores);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bootstrap_status& x) {
  return f(caf::meta::type_name("bootstrap_status"), x.bootstrapped, x.cluster);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, id_range& x) {
  return f(caf::meta::type_name("id_range"), x.first, x.count);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, split_ids& x) {
  return f(caf::meta::type_name("split_ids"), x.new_region, x.new_peers);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, split_region_request& x) {
  return f(caf::meta::type_name("split_region_request"), x.region, x.key, x.epoch);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_stats& x) {
  return f(caf::meta::type_name("store_stats"), x.store, x.capacity, x.available, x.used_size,
           x.region_count, x.leader_count, x.sending_snapshots, x.applying_snapshots);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_info& x) {
  return f(caf::meta::type_name("store_info"), x.id, x.address, x.client_address, x.state, x.stats,
           x.last_heartbeat, x.decommissioning);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, region_heartbeat& x) {
  return f(caf::meta::type_name("region_heartbeat"), x.region, x.leader, x.approximate_size,
           x.approximate_keys, x.pending_peers, x.down_peers);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, region_info& x) {
  return f(caf::meta::type_name("region_info"), x.meta, x.leader, x.approximate_size,
           x.approximate_keys, x.pending_peers, x.down_peers);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, directive& x) {
  return f(caf::meta::type_name("directive"), x.kind, x.region, x.epoch, x.peer, x.split,
           x.split_key);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_heartbeat_response& x) {
  return f(caf::meta::type_name("store_heartbeat_response"), x.store, x.directives_waiting);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, region_heartbeat_response& x) {
  return f(caf::meta::type_name("region_heartbeat_response"), x.next);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, operator_step& x) {
  return f(caf::meta::type_name("operator_step"), x.kind, x.peer);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, operator_info& x) {
  return f(caf::meta::type_name("operator_info"), x.id, x.region, x.kind, x.origin, x.steps,
           x.current, x.status, x.created, x.deadline, x.age_ticks, x.reason);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, operator_request& x) {
  return f(caf::meta::type_name("operator_request"), x.kind, x.region, x.store, x.target);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scheduler_info& x) {
  return f(caf::meta::type_name("scheduler_info"), x.name, x.enabled);
}

}  // namespace rdb::pd
