#pragma once

#include <cstdint>
#include <string>

namespace rdb::node {

/// A TCP port on `host` that was free a moment ago (bound to port 0 and released), or 0. Lets a
/// store that was asked for "any port" know its address before it registers with PD; the port
/// is then bound with address reuse.
std::uint16_t pick_port(const std::string& host);

}  // namespace rdb::node
