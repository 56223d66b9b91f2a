#pragma once

#include <cstdint>

/// Forward declarations of the raft core's public types, for headers that only pass them
/// around.
namespace rdb::raft {

enum class errc : std::uint8_t;
enum class message_type : std::uint8_t;
enum class role : std::uint8_t;
enum class conf_change_type : std::uint8_t;
enum class progress_state : std::uint8_t;

struct conf_change;
struct config;
struct error;
struct message;
struct read_state;
struct ready;
struct soft_state;
struct status;
struct storage_state;

class log_storage;
class memory_storage;
class raw_node;

}  // namespace rdb::raft
