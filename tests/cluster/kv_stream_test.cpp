#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <string>

#include <capnp/message.h>
#include <capnp/serialize-async.h>
#include <capnp/serialize.h>
#include <kj/async-io.h>

#include "actors/kv/kv_stream.hpp"
#include "schemas/kv.capnp.h"

namespace rdb::test {

namespace {

/// Forwards to a stream and counts the reads asked of it.
class counting_stream final : public kj::AsyncIoStream {
 public:
  explicit counting_stream(kj::Own<kj::AsyncIoStream> inner) : inner_(kj::mv(inner)) {}

  std::size_t reads = 0;

  kj::Promise<std::size_t> tryRead(void* buffer, std::size_t min_bytes,
                                   std::size_t max_bytes) override {
    ++reads;
    return inner_->tryRead(buffer, min_bytes, max_bytes);
  }
  kj::Promise<void> write(const void* buffer, std::size_t size) override {
    return inner_->write(buffer, size);
  }
  kj::Promise<void> write(kj::ArrayPtr<const kj::ArrayPtr<const kj::byte>> pieces) override {
    return inner_->write(pieces);
  }
  kj::Promise<void> whenWriteDisconnected() override { return inner_->whenWriteDisconnected(); }
  void shutdownWrite() override { inner_->shutdownWrite(); }

 private:
  kj::Own<kj::AsyncIoStream> inner_;
};

/// A put request whose key is `key` and whose value is `value_bytes` copies of `key`'s first byte.
kj::Own<capnp::MallocMessageBuilder> put_message(const std::string& key, std::size_t value_bytes) {
  auto m = kj::heap<capnp::MallocMessageBuilder>();
  auto p = m->initRoot<kv::Kv::PutParams>();
  p.setKey(capnp::Data::Reader{reinterpret_cast<const kj::byte*>(key.data()), key.size()});
  auto v = p.initValue(static_cast<unsigned>(value_bytes));
  for (auto& b : v)
    b = static_cast<kj::byte>(key[0]);
  return m;
}

void check_put(capnp::MessageReader& r, const std::string& key, std::size_t value_bytes) {
  auto p = r.getRoot<kv::Kv::PutParams>();
  auto k = p.getKey();
  CHECK(std::string(reinterpret_cast<const char*>(k.begin()), k.size()) == key);
  auto v = p.getValue();
  CHECK(v.size() == value_bytes);
  CHECK(std::all_of(v.begin(), v.end(), [&](kj::byte b) { return b == kj::byte(key[0]); }));
}

/// A socket pair: writes complete into the kernel's buffer before anything is read.
struct pipe_fixture {
  kj::AsyncIoContext io = kj::setupAsyncIo();
  kj::WaitScope& ws = io.waitScope;
  kj::TwoWayPipe pipe = io.provider->newTwoWayPipe();
  counting_stream* counter = nullptr;
  kj::Own<buffered_stream> reader;

  explicit pipe_fixture(std::size_t capacity = buffered_stream::default_capacity) {
    auto c = kj::heap<counting_stream>(kj::mv(pipe.ends[1]));
    counter = c.get();
    reader = kj::heap<buffered_stream>(kj::mv(c), capacity);
  }
};

}  // namespace

TEST_CASE("a buffered stream serves many waiting messages from one read") {
  pipe_fixture f;
  constexpr int n = 50;
  // Every message is written before the first is read: one read of the buffer takes in all.
  auto writes = kj::evalLater([&]() -> kj::Promise<void> {
    kj::Promise<void> chain = kj::READY_NOW;
    for (int i = 0; i < n; ++i)
      chain = chain.then([&f, i] {
        auto m = put_message("k" + std::to_string(i), 256);
        auto w = capnp::writeMessage(*f.pipe.ends[0], *m);
        return w.attach(kj::mv(m));
      });
    return chain;
  });
  writes.wait(f.ws);
  for (int i = 0; i < n; ++i) {
    auto r = capnp::readMessage(*f.reader).wait(f.ws);
    check_put(*r, "k" + std::to_string(i), 256);
  }
  // Without the buffer Cap'n Proto asks for each message's first word and its rest apart.
  CHECK(f.counter->reads < n);
}

TEST_CASE("a buffered stream passes a message larger than its buffer intact") {
  pipe_fixture f{1024};
  auto big = put_message("big", 100'000);
  auto small = put_message("small", 10);
  auto w = capnp::writeMessage(*f.pipe.ends[0], *big).then([&] {
    return capnp::writeMessage(*f.pipe.ends[0], *small);
  });
  auto r1 = capnp::readMessage(*f.reader).wait(f.ws);
  check_put(*r1, "big", 100'000);
  auto r2 = capnp::readMessage(*f.reader).wait(f.ws);
  check_put(*r2, "small", 10);
  w.wait(f.ws);
}

TEST_CASE("a buffered stream ends a read short only when the stream ends") {
  pipe_fixture f;
  const char part[] = "abcd";
  f.pipe.ends[0]->write(part, 4).wait(f.ws);
  f.pipe.ends[0]->shutdownWrite();
  char out[16] = {};
  // Asked for at least 10 bytes: the 4 that came, then the end.
  CHECK(f.reader->tryRead(out, 10, sizeof out).wait(f.ws) == 4);
  CHECK(std::string(out, 4) == "abcd");
  CHECK(f.reader->tryRead(out, 1, sizeof out).wait(f.ws) == 0);
}

TEST_CASE("a buffered stream reports a message cut off by the end of the stream") {
  pipe_fixture f;
  auto m = put_message("cut", 1000);
  auto words = capnp::messageToFlatArray(*m);
  auto bytes = words.asBytes();
  f.pipe.ends[0]->write(bytes.begin(), bytes.size() / 2).wait(f.ws);
  f.pipe.ends[0]->shutdownWrite();
  CHECK_THROWS(capnp::readMessage(*f.reader).wait(f.ws));
}

}  // namespace rdb::test
