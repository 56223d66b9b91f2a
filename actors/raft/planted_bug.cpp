#include "actors/raft/planted_bug.hpp"

namespace rdb::raft {

planted_bug_kind planted_bug = planted_bug_kind::none;

}  // namespace rdb::raft
