#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace rdb {

/// A TCP port on `host` that was free a moment ago (bound to port 0 and released), or 0. Lets a
/// store that was asked for "any port" know its address before it registers with PD; the port
/// is then bound with address reuse.
std::uint16_t pick_port(const std::string& host);

/// Whether a TCP connection to `host`:`port` opens within `timeout`; it is closed at once.
/// CAF 0.17's `remote_actor` connects with a blocking call that, when the path drops SYNs (a
/// firewall, a lost route, a listener whose queue is full), waits until the kernel gives up,
/// about two minutes. Asking this first bounds what such a peer costs to `timeout`.
bool reachable(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout);

}  // namespace rdb
