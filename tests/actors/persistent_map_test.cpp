#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "actors/router/persistent_map.hpp"

using namespace rdb;

namespace {

using pmap = persistent_map<std::string, int>;

std::vector<std::pair<std::string, int>> contents(const pmap& m) {
  std::vector<std::pair<std::string, int>> out;
  m.for_each([&](const auto& e) {
    out.emplace_back(e.first, e.second);
    return true;
  });
  return out;
}

std::vector<std::pair<std::string, int>> contents(const std::map<std::string, int>& m) {
  return {m.begin(), m.end()};
}

double avl_bound(std::size_t n) {
  return 1.45 * std::log2(static_cast<double>(n) + 2);
}

}  // namespace

TEST_CASE("persistent map: agrees with std::map, and every old version stays as it was") {
  std::uint64_t seed = 20261206;
  std::mt19937_64 rng{seed};
  std::printf("persistent-map: seed=%llu\n", static_cast<unsigned long long>(seed));
  pmap m;
  std::map<std::string, int> model;
  std::vector<std::pair<pmap, std::map<std::string, int>>> versions;
  for (int step = 0; step < 4000; ++step) {
    auto key = "k" + std::to_string(rng() % 500);
    if (rng() % 3 == 0) {
      m = m.erase(key);
      model.erase(key);
    } else {
      m = m.set(key, step);
      model[key] = step;
    }
    REQUIRE(m.size() == model.size());
    if (step % 97 == 0) versions.emplace_back(m, model);
    auto probe = "k" + std::to_string(rng() % 600);
    const auto* f = m.find(probe);
    auto i = model.find(probe);
    REQUIRE((f == nullptr) == (i == model.end()));
    if (f != nullptr) CHECK(*f == i->second);
    // floor: the greatest key not above the probe.
    const auto* fl = m.floor(probe);
    auto up = model.upper_bound(probe);
    if (up == model.begin()) {
      CHECK(fl == nullptr);
    } else {
      REQUIRE(fl != nullptr);
      CHECK(fl->first == std::prev(up)->first);
    }
    CHECK(m.height() <= avl_bound(m.size()));
  }
  CHECK(contents(m) == contents(model));
  for (const auto& [old, old_model] : versions)
    CHECK(contents(old) == contents(old_model));
}

TEST_CASE("persistent map: for_each_from starts at the floor and stops when told") {
  pmap m;
  for (auto k : {"b", "d", "f", "h"})
    m = m.set(k, 0);
  auto from = [&](std::string key, std::size_t limit) {
    std::string seen;
    m.for_each_from(key, [&](const auto& e) {
      seen += e.first;
      return seen.size() < limit;
    });
    return seen;
  };
  CHECK(from("a", 9) == "bdfh");
  CHECK(from("d", 9) == "dfh");
  CHECK(from("e", 9) == "dfh");
  CHECK(from("z", 9) == "h");
  CHECK(from("c", 2) == "bd");
}

TEST_CASE("persistent map: keys in order stay balanced, and a change copies only a path") {
  pmap m;
  for (int i = 0; i < 100'000; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "r%06d", i);
    m = m.set(buf, i);
  }
  CHECK(m.size() == 100'000);
  CHECK(m.height() <= avl_bound(m.size()));
  // A version one change away shares everything else: erasing from it leaves `m` whole.
  auto fewer = m.erase("r050000");
  CHECK(fewer.size() == 99'999);
  CHECK(fewer.find("r050000") == nullptr);
  REQUIRE(m.find("r050000") != nullptr);
  CHECK(*m.find("r050000") == 50'000);
  CHECK(fewer.erase("nope").size() == 99'999);
}
