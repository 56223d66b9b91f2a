#pragma once

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "actors/raft/message.hpp"
#include "actors/raft/types.hpp"

namespace rdb::raft {

/// ReadIndex bookkeeping on the leader (Raft thesis §6.4). A read request records the commit
/// index at arrival; the leader then confirms it is still leader by a heartbeat round carrying
/// the request's context. Once a quorum of voters acknowledged a context, that request and all
/// requests queued before it are released: a later confirmation covers earlier reads, which is
/// how concurrent reads are batched.
class read_only {
 public:
  struct pending {
    message req;
    log_index index;
    std::vector<node_id> acks;
  };

  /// Queues a request that arrived when the commit index was `index`.
  void add_request(log_index index, message req);

  /// Records that `id` acknowledged a heartbeat carrying `context`; returns the acks so far
  /// (empty if the context is unknown).
  const std::vector<node_id>* recv_ack(node_id id, const std::string& context);

  /// Releases every request up to and including the one with `context`.
  std::vector<pending> advance(const std::string& context);

  /// The context of the most recent pending request, sent along with regular heartbeats.
  const std::string* last_pending_context() const;

  std::size_t size() const { return queue_.size(); }
  void clear();

 private:
  std::map<std::string, pending> pending_;
  std::deque<std::string> queue_;
};

}  // namespace rdb::raft
