#pragma once

#include <caf/meta/type_name.hpp>

#include "actors/raft/message.hpp"
#include "actors/raft/types.hpp"

/// CAF `inspect()` overloads for the raft value types that travel between stores, in the raft
/// namespace so CAF finds them by argument-dependent lookup. The raft core stays free of CAF:
/// this header is the only place that teaches CAF about its types. Enums are serialised as
/// their (pinned) underlying numbers.
namespace rdb::raft {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, entry& x) {
  return f(caf::meta::type_name("raft_entry"), x.term, x.index, x.type, x.data);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hard_state& x) {
  return f(caf::meta::type_name("hard_state"), x.term, x.vote, x.commit);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, conf_state& x) {
  return f(caf::meta::type_name("conf_state"), x.voters, x.learners);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, snapshot_metadata& x) {
  return f(caf::meta::type_name("snapshot_meta"), x.index, x.term, x.conf);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, snapshot& x) {
  return f(caf::meta::type_name("raft_snapshot"), x.meta, x.data);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, message& x) {
  return f(caf::meta::type_name("raft_message"), x.type, x.to, x.from, x.term, x.log_term, x.index,
           x.entries, x.commit, x.snapshot, x.reject, x.reject_hint, x.context);
}

}  // namespace rdb::raft
