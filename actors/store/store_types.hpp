#pragma once

#include <caf/actor_system_config.hpp>

/// Registration of everything the store-side actors send, for nodes that talk over the
/// middleman (CAF drops an unregistered type with only a stderr line).
namespace rdb {

/// Registers the "rdb" error category and every value type of the store-side actor
/// interfaces (KV requests and answers, raft envelopes and batches, writer tasks, statuses),
/// plus PD's types (`pd::add_pd_types`), on `cfg`. Call before creating the actor system.
void add_store_types(caf::actor_system_config& cfg);

}  // namespace rdb
