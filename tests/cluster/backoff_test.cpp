#include <doctest/doctest.h>

#include "actors/transport/backoff.hpp"

using namespace std::chrono_literals;
using rdb::backoff;

TEST_CASE("backoff: waits double from the first delay up to the cap; a success starts over") {
  backoff b{500ms, 2000ms};
  auto t = backoff::clock::time_point{} + 1h;
  CHECK(b.due(t));
  CHECK(b.failed(t) == 500ms);
  CHECK_FALSE(b.due(t + 499ms));
  CHECK(b.due(t + 500ms));
  CHECK(b.failed(t) == 1000ms);
  CHECK(b.failed(t) == 2000ms);
  CHECK(b.failed(t) == 2000ms);
  CHECK_FALSE(b.due(t + 1999ms));
  b.succeeded();
  CHECK(b.due(t));
  CHECK(b.failed(t) == 500ms);
}

TEST_CASE("backoff: a cap below the first delay keeps the first delay") {
  backoff b{500ms, 100ms};
  auto t = backoff::clock::time_point{} + 1h;
  CHECK(b.failed(t) == 500ms);
  CHECK(b.failed(t) == 500ms);
}
