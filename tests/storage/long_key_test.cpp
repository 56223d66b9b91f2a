#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>

#include "raw_lmdb.hpp"
#include "storage/bucket.hpp"
#include "storage/key_codec.hpp"
#include "storage/store.hpp"
#include "test_support.hpp"

using namespace rdb;
using namespace rdb::storage;
using namespace rdb::storage::test;

namespace {

const region_id r1{1};

/// Keys around the bucket boundary: a shared stem cut or extended to lengths just below, at
/// and above `bucket_prefix`, with a distinguishing byte at the end or inside the stem.
std::string key_at(std::mt19937_64& rng) {
  static const std::size_t lengths[] = {0, 1, 499, 500, 501, 502, 520, 600, max_key_size};
  auto len = lengths[rng() % std::size(lengths)];
  std::string k(len, 'k');
  if (len > 0) k[rng() % len] = static_cast<char>('a' + rng() % 3);
  if (len > 0 && rng() % 2 == 0) k.back() = static_cast<char>('a' + rng() % 3);
  return k;
}

std::vector<kv_pair> pairs_of(const std::map<std::string, std::string>& m, const std::string& start,
                              const std::string& end) {
  std::vector<kv_pair> out;
  for (auto i = m.lower_bound(start); i != m.end() && (end.empty() || i->first < end); ++i)
    out.push_back(kv_pair{i->first, i->second});
  return out;
}

std::uint64_t bytes_of(const std::map<std::string, std::string>& m) {
  std::uint64_t total = 0;
  for (const auto& [k, v] : m)
    total += k.size() + v.size();
  return total;
}

}  // namespace

TEST_CASE("long keys: keys up to 4 KiB keep their byte order across buckets") {
  temp_dir dir;
  auto s = open_store(dir.path());
  std::string stem(bucket_prefix, 'k');
  std::map<std::string, std::string> model;
  write_batch b;
  for (const auto& k :
       {stem.substr(0, 499), stem, stem + "a", stem + "b", stem + std::string(3596, 'z'),
        stem.substr(0, 499) + "l", std::string("k") + std::string(550, 'j'),
        std::string(max_key_size, '\xff'), std::string("a")}) {
    model[k] = "v" + std::to_string(k.size());
    b.put(r1, k, model[k]);
  }
  take(s->write(b));
  auto view = take(s->read());
  for (const auto& [k, v] : model)
    CHECK(take(view.get(k)) == std::optional<std::string>{v});
  CHECK_FALSE(take(view.get(stem + "c")).has_value());
  CHECK(take(view.scan("", "", 100)) == pairs_of(model, "", ""));
  // Ranges that start and end inside a bucket.
  CHECK(take(view.scan(stem + "a", stem + "b", 100)) == pairs_of(model, stem + "a", stem + "b"));
  CHECK(take(view.scan(stem + "0", "", 100)) == pairs_of(model, stem + "0", ""));
  CHECK(take(view.approximate_usage(r1)).bytes == bytes_of(model));
  CHECK(take(view.range_size("", "")) == bytes_of(model));
}

TEST_CASE("long keys: puts, deletes and range deletes agree with a model") {
  std::uint64_t seed = std::random_device{}();
  MESSAGE("long-key model seed=" << seed);
  for (std::uint64_t round_seed : {std::uint64_t{1}, std::uint64_t{2}, seed}) {
    CAPTURE(round_seed);
    std::mt19937_64 rng{round_seed};
    temp_dir dir;
    auto s = open_store(dir.path());
    std::map<std::string, std::string> model;
    for (int batch = 0; batch < 40; ++batch) {
      write_batch b;
      for (int op = 0; op < 8; ++op) {
        auto k = key_at(rng);
        switch (rng() % 5) {
          case 0:
          case 1:
          case 2: {
            auto v = std::string(rng() % 40, static_cast<char>('0' + rng() % 10));
            b.put(r1, k, v);
            model[k] = v;
            break;
          }
          case 3:
            b.del(r1, k);
            model.erase(k);
            break;
          case 4: {
            auto e = key_at(rng);
            if (e < k) std::swap(k, e);
            if (rng() % 4 == 0) e.clear();
            b.delete_range(r1, k, e);
            for (auto i = model.lower_bound(k); i != model.end() && (e.empty() || i->first < e);)
              i = model.erase(i);
            break;
          }
        }
      }
      take(s->write(b));
    }
    auto view = take(s->read());
    CHECK(take(view.scan("", "", 10000)) == pairs_of(model, "", ""));
    for (const auto& [k, v] : model)
      CHECK(take(view.get(k)) == std::optional<std::string>{v});
    CHECK(take(view.approximate_usage(r1)).bytes == bytes_of(model));
  }
}

TEST_CASE("long keys: a damaged bucket is storage_corrupt, never misread") {
  temp_dir dir;
  std::string stem(bucket_prefix, 'k');
  {
    auto s = open_store(dir.path());
    write_batch b;
    b.put(r1, stem + "a", "1");
    take(s->write(b));
  }
  raw_put(dir.path(), "data", keys::make_data_key(stem), std::string("\x01\x05\x00\x00\x00", 5));
  auto s = open_store(dir.path());
  CHECK(code_of(take(s->read()).get(stem + "a")) == errc::storage_corrupt);
  CHECK(code_of(take(s->read()).scan("", "", 10)) == errc::storage_corrupt);
  write_batch b;
  b.put(r1, stem + "b", "2");
  CHECK(code_of(s->write(b)) == errc::storage_corrupt);
}

TEST_CASE("long keys: bucket encoding refuses what it did not write") {
  bucket b;
  CHECK_FALSE(b.put("b", "2").has_value());
  CHECK_FALSE(b.put("a", "1").has_value());
  CHECK(b.put("a", "11") == std::optional<std::size_t>{1});
  auto bytes = b.encode();
  auto back = bucket::decode(bytes);
  REQUIRE(back.has_value());
  CHECK(back->entries() == b.entries());
  CHECK_FALSE(bucket::decode(bytes + "x").has_value());
  CHECK_FALSE(bucket::decode(bytes.substr(0, bytes.size() - 1)).has_value());
  CHECK_FALSE(bucket::decode("").has_value());
  // Suffixes out of order.
  bucket disordered;
  disordered.entries() = {{"b", "1"}, {"a", "2"}};
  CHECK_FALSE(bucket::decode(disordered.encode()).has_value());
  CHECK(b.erase("a") == std::optional<std::size_t>{2});
  CHECK_FALSE(b.erase("a").has_value());
}
