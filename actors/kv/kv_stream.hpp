#pragma once

#include <cstddef>

#include <kj/async-io.h>

/// The byte stream both ends of the KV service speak Cap'n Proto over.
namespace rdb {

/// A connection whose reads go through a buffer. Cap'n Proto reads each message with two exact
/// reads (its first word, then the rest), so a bare socket costs two or three `read` calls per
/// message. Through this stream one `read` takes in every message that has arrived, and they
/// are served from memory: under load one system call for many messages. Writes pass through:
/// a closed-loop client's requests, and the answers to them, come one at a time, so there is
/// nothing to gather.
class buffered_stream final : public kj::AsyncIoStream {
 public:
  static constexpr std::size_t default_capacity = 64 * 1024;

  explicit buffered_stream(kj::Own<kj::AsyncIoStream> inner,
                           std::size_t capacity = default_capacity);

  /// Serves from the buffer; refills it with one read of the inner stream when it holds fewer
  /// than `min_bytes`. A request at least as large as the buffer is read directly.
  kj::Promise<std::size_t> tryRead(void* buffer, std::size_t min_bytes,
                                   std::size_t max_bytes) override;

  kj::Promise<void> write(const void* buffer, std::size_t size) override;
  kj::Promise<void> write(kj::ArrayPtr<const kj::ArrayPtr<const kj::byte>> pieces) override;
  kj::Promise<void> whenWriteDisconnected() override;
  void shutdownWrite() override;
  void abortRead() override;
  void getsockopt(int level, int option, void* value, kj::uint* length) override;
  void setsockopt(int level, int option, const void* value, kj::uint length) override;
  void getsockname(struct sockaddr* addr, kj::uint* length) override;
  void getpeername(struct sockaddr* addr, kj::uint* length) override;

 private:
  /// Copies buffered bytes to `out + done`, reading more until at least `min_bytes` are there
  /// or the stream ends; resolves to the bytes delivered in all.
  kj::Promise<std::size_t> fill(kj::byte* out, std::size_t min_bytes, std::size_t max_bytes,
                                std::size_t done);

  kj::Own<kj::AsyncIoStream> inner_;
  kj::Array<kj::byte> buffer_;
  /// The unread bytes are [begin_, end_) of `buffer_`.
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace rdb
