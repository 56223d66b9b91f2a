// Splits on real processes: regions that grow past `region-split-size` are split by their
// stores' split checkers, with ids from PD, while clients keep writing; every write stays
// readable across the splits.
#include <doctest/doctest.h>

#include <string>

#include "tests/cluster/process_cluster.hpp"
#include "tests/support/wait.hpp"
#include "tools/client/client.hpp"

namespace rdb::test {

TEST_CASE("split: regions past the split size split under writes; every write stays readable") {
  process_cluster cluster{
      3, {"--region-split-size=65536", "--split-check-interval=200ms", "--log-level=info"}};
  client::options o;
  o.stores = cluster.client_addresses();
  o.deadline = std::chrono::seconds{30};
  client::client c{o};
  auto key_of = [](std::size_t i) {
    return std::string(1, static_cast<char>((i * 37) % 256)) + "key" + std::to_string(i);
  };
  auto value_of = [](std::size_t i) {
    auto v = "value-" + std::to_string(i) + "-";
    v.resize(2048, 'v');
    return v;
  };
  // About 2 MiB over 16 regions: each grows past 64 KiB, most of them several times over.
  constexpr std::size_t keys = 1000;
  std::size_t written = 0;
  auto splits = [&] {
    std::size_t n = 0;
    for (std::size_t i = 0; i < cluster.stores(); ++i)
      n += count_in_file(cluster.store_log(i), "started, split off region");
    return n;
  };
  for (; written < keys; ++written) {
    auto ok = c.put(key_of(written), value_of(written));
    REQUIRE_MESSAGE(ok.has_value(), "put " << written << ": " << ok.error().detail);
  }
  // Each split starts the child on all three stores.
  REQUIRE(wait_until([&] { return splits() >= 3 * 16; }, std::chrono::seconds{60}));
  MESSAGE("children started on the stores: " << splits());
  for (std::size_t i = 0; i < keys; ++i) {
    auto got = c.get(key_of(i));
    REQUIRE_MESSAGE(got.has_value(), "get " << i << ": " << got.error().detail);
    REQUIRE_MESSAGE(got->has_value(), "key " << i << " lost");
    CHECK(**got == value_of(i));
  }
  // And the halves take writes.
  for (std::size_t i = 0; i < 50; ++i)
    REQUIRE(c.put(key_of(i), "again").has_value());
  CHECK(**c.get(key_of(7)) == "again");
}

}  // namespace rdb::test
