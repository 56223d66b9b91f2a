#pragma once

#include <caf/meta/type_name.hpp>

#include "actors/common/inspect.hpp"
#include "actors/region/requests.hpp"

/// CAF `inspect()` overloads for the KV request and response types.
namespace rdb {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, request_header& x) {
  return f(caf::meta::type_name("request_header"), x.region, x.epoch);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, get_request& x) {
  return f(caf::meta::type_name("get_request"), x.header, x.key);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, get_response& x) {
  return f(caf::meta::type_name("get_response"), x.found, x.value);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, put_request& x) {
  return f(caf::meta::type_name("put_request"), x.header, x.key, x.value, x.client, x.seq,
           x.first_incomplete);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cas_request& x) {
  return f(caf::meta::type_name("cas_request"), x.header, x.key, x.expect_absent, x.expected,
           x.value, x.client, x.seq, x.first_incomplete);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cas_response& x) {
  return f(caf::meta::type_name("cas_response"), x.swapped, x.found, x.previous, x.retried,
           x.index);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, delete_request& x) {
  return f(caf::meta::type_name("delete_request"), x.header, x.key, x.client, x.seq,
           x.first_incomplete);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, write_response& x) {
  return f(caf::meta::type_name("write_response"), x.index);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scan_request& x) {
  return f(caf::meta::type_name("scan_request"), x.header, x.start_key, x.end_key, x.limit);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scan_response& x) {
  return f(caf::meta::type_name("scan_response"), x.pairs, x.scanned_end);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, split_request& x) {
  return f(caf::meta::type_name("split_request"), x.header, x.split_key, x.new_region, x.new_peers,
           x.child_bytes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, change_peer_request& x) {
  return f(caf::meta::type_name("change_peer_request"), x.header, x.kind, x.peer);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, region_status& x) {
  return f(caf::meta::type_name("region_status"), x.region, x.self, x.leader, x.term, x.commit,
           x.applied, x.pending_proposals, x.pending_reads, x.hibernating, x.lease_reads,
           x.pending_peers, x.down_peers);
}

}  // namespace rdb
