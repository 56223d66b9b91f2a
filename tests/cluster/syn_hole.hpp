#pragma once

#include <sys/types.h>

#include <cstdint>

namespace rdb::test {

/// A listener on 127.0.0.1:`port` whose accept queue is full and never drained: the kernel
/// drops every further SYN to the port, as a firewall or a lost route does, so a plain
/// blocking connect to it waits until the kernel gives up (about two minutes).
class syn_hole {
 public:
  explicit syn_hole(std::uint16_t port);
  ~syn_hole();
  syn_hole(const syn_hole&) = delete;
  syn_hole& operator=(const syn_hole&) = delete;

 private:
  int listener_ = -1;
  /// The connection that fills the queue (unless another took its place first).
  int filler_ = -1;
};

/// Whether process `pid` holds a TCP connection to 127.0.0.1:`port` still in SYN-SENT.
bool syn_sent(pid_t pid, std::uint16_t port);

}  // namespace rdb::test
