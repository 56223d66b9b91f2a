#include <doctest/doctest.h>

#include <cstdio>

#include "storage/bucket.hpp"
#include "storage/store.hpp"
#include "test_support.hpp"

using namespace rdb;
using namespace rdb::storage;
using namespace rdb::storage::test;

namespace {

const region_id r1{1};

std::optional<std::string> get(store& s, std::string_view key) {
  return take(take(s.read()).get(key));
}

void put(store& s, std::string_view key, std::string_view value) {
  write_batch b;
  b.put(r1, key, value);
  take(s.write(b));
}

std::vector<std::string> keys_of(const std::vector<kv_pair>& kvs) {
  std::vector<std::string> out;
  for (const auto& kv : kvs)
    out.push_back(kv.key);
  return out;
}

}  // namespace

TEST_CASE("get, put, overwrite and delete") {
  temp_dir dir;
  auto s = open_store(dir.path());
  CHECK_FALSE(get(*s, "a").has_value());
  put(*s, "a", "1");
  CHECK(get(*s, "a") == "1");
  put(*s, "a", "22");
  CHECK(get(*s, "a") == "22");
  write_batch b;
  b.del(r1, "a");
  b.del(r1, "never-there");
  take(s->write(b));
  CHECK_FALSE(get(*s, "a").has_value());
}

TEST_CASE("the empty key and the empty value are ordinary") {
  temp_dir dir;
  auto s = open_store(dir.path());
  put(*s, "", "empty-key");
  put(*s, "e", "");
  CHECK(get(*s, "") == "empty-key");
  CHECK(get(*s, "e") == "");
  auto all = take(take(s->read()).scan("", "", 10));
  CHECK(keys_of(all) == std::vector<std::string>{"", "e"});
}

TEST_CASE("largest allowed key and value are stored, larger ones refused") {
  temp_dir dir;
  auto s = open_store(dir.path());
  std::string key(max_key_size, 'k');
  std::string value(max_value_size, 'v');
  put(*s, key, value);
  CHECK(get(*s, key) == value);
  key.back() = '\xff';  // binary bytes are fine too
  put(*s, key, "x");
  CHECK(get(*s, key) == "x");
  write_batch b;
  b.put(r1, std::string(max_key_size + 1, 'k'), "x");
  auto r = s->write(b);
  CHECK(code_of(r) == errc::invalid_argument);
  CHECK(r.error().message.find("limit of 4096 bytes") != std::string::npos);
  write_batch big;
  big.put(r1, "ok", "fine");
  big.put(r1, "big", std::string(max_value_size + 1, 'v'));
  CHECK(code_of(s->write(big)) == errc::invalid_argument);
  CHECK_FALSE(get(*s, "ok").has_value());  // refused batches change nothing
  CHECK(code_of(take(s->read()).get(std::string(max_key_size + 1, 'k'))) == errc::invalid_argument);
}

TEST_CASE("scan returns [start, end) in key order up to the limit") {
  temp_dir dir;
  auto s = open_store(dir.path());
  write_batch b;
  for (auto k : {"b", "a", "ab", "c", "d", "\xff"})
    b.put(r1, k, std::string{"v-"} + k);
  take(s->write(b));
  auto view = take(s->read());
  CHECK(keys_of(take(view.scan("a", "c", 100))) == std::vector<std::string>{"a", "ab", "b"});
  CHECK(keys_of(take(view.scan("a", "c", 2))) == std::vector<std::string>{"a", "ab"});
  CHECK(keys_of(take(view.scan("aa", "", 100))) ==
        std::vector<std::string>{"ab", "b", "c", "d", "\xff"});
  CHECK(take(view.scan("a", "z", 0)).empty());
  CHECK(take(view.scan("e", "f", 10)).empty());
  auto one = take(view.scan("c", "d", 10));
  REQUIRE(one.size() == 1);
  CHECK(one[0] == kv_pair{"c", "v-c"});
  std::vector<std::string> seen;
  take(view.for_each("", "", [&](std::string_view k, std::string_view) {
    seen.emplace_back(k);
    return seen.size() < 3;
  }));
  CHECK(seen == std::vector<std::string>{"a", "ab", "b"});
}

TEST_CASE("delete range across region boundaries removes exactly [start, end)") {
  temp_dir dir;
  auto s = open_store(dir.path());
  const region_id left{1}, right{2};  // left owns [, "m"), right owns ["m", +inf)
  write_batch b;
  for (char c = 'a'; c <= 'z'; ++c) {
    std::string k(1, c);
    b.put(k < "m" ? left : right, k, "v");
    b.put(k < "m" ? left : right, k + k, "vv");
  }
  take(s->write(b));
  write_batch d;
  d.delete_range(left, "k", "p");
  take(s->write(d));
  auto view = take(s->read());
  CHECK(keys_of(take(view.scan("j", "q", 100))) == std::vector<std::string>{"j", "jj", "p", "pp"});
  CHECK(take(view.range_size("", "")) == 26 * 2 + 26 * 4 - (5 * 2 + 5 * 4));
  write_batch tail;
  tail.delete_range(right, "x", "");
  take(s->write(tail));
  CHECK(keys_of(take(take(s->read()).scan("w", "", 100))) == std::vector<std::string>{"w", "ww"});
  // Deleting everything, including the empty key, leaves nothing behind.
  put(*s, "", "e");
  write_batch all;
  all.delete_range(region_id{}, "", "");
  take(s->write(all));
  CHECK(take(take(s->read()).scan("", "", 100)).empty());
}

TEST_CASE("approximate sizes and key counts follow puts, overwrites, deletes and range deletes") {
  temp_dir dir;
  auto s = open_store(dir.path());
  const region_id left{1}, right{2};
  auto usage = [&](region_id r) { return take(take(s->read()).approximate_usage(r)); };
  write_batch b;
  b.put(left, "aa", "1234");      // 6
  b.put(left, "bb", "12345678");  // 10
  b.put(right, "x", "1");         // 2
  b.put(right, "y", "1");         // 2
  take(s->write(b));
  CHECK(usage(left) == region_usage{16, 2});
  CHECK(usage(right) == region_usage{4, 2});
  write_batch o;
  o.put(left, "aa", "1");  // -3, the same key
  o.del(left, "bb");       // -10
  o.del(left, "zz");       // absent: no change
  take(s->write(o));
  CHECK(usage(left) == region_usage{3, 1});
  CHECK(take(take(s->read()).range_size("", "m")) == 3);
  write_batch r;
  r.delete_range(right, "", "");
  take(s->write(r));
  CHECK(usage(right) == region_usage{0, 0});
  // The range delete was booked to the region that asked for it.
  CHECK(usage(left) == region_usage{3, 1});
}

TEST_CASE("key counts follow keys in buckets of long keys") {
  temp_dir dir;
  auto s = open_store(dir.path());
  const std::string prefix(bucket_prefix, 'p');
  write_batch b;
  for (char c : std::string{"abcd"})
    b.put(r1, prefix + c, "v");
  b.put(r1, prefix + 'a', "again");
  take(s->write(b));
  CHECK(take(take(s->read()).approximate_usage(r1)).keys == 4);
  write_batch d;
  d.del(r1, prefix + 'a');
  d.del(r1, prefix + 'a');
  take(s->write(d));
  CHECK(take(take(s->read()).approximate_usage(r1)).keys == 3);
  write_batch r;
  r.delete_range(r1, prefix + 'b', prefix + 'd');
  take(s->write(r));
  CHECK(take(take(s->read()).approximate_usage(r1)).keys == 1);
}

TEST_CASE("a split moves approximate size, and keys in proportion, never below zero") {
  temp_dir dir;
  auto s = open_store(dir.path());
  const region_id parent{1}, child{2}, late{3};
  auto usage = [&](region_id r) { return take(take(s->read()).approximate_usage(r)); };
  write_batch b;
  for (auto k : {"aa", "bb", "cc", "dd"})
    b.put(parent, k, "12345678");  // 10 each
  b.move_size(parent, child, 10);
  take(s->write(b));
  CHECK(usage(parent) == region_usage{30, 3});
  CHECK(usage(child) == region_usage{10, 1});
  write_batch more;
  more.move_size(parent, late, 100);
  take(s->write(more));
  CHECK(usage(parent) == region_usage{0, 0});
  CHECK(usage(late) == region_usage{30, 3});
  write_batch bad;
  bad.move_size(parent, region_id{}, 1);
  CHECK(code_of(s->write(bad)) == errc::invalid_argument);
}

TEST_CASE("data survives reopening the store") {
  temp_dir dir;
  {
    auto s = open_store(dir.path());
    put(*s, "k", "v");
  }
  auto s = open_store(dir.path());
  CHECK(get(*s, "k") == "v");
  CHECK(take(take(s->read()).approximate_usage(r1)).bytes == 2);
}

TEST_CASE("a read view is a snapshot unaffected by later writes") {
  temp_dir dir;
  auto s = open_store(dir.path());
  put(*s, "k", "old");
  auto view = take(s->read());
  put(*s, "k", "new");
  CHECK(take(view.get("k")) == "old");
  CHECK(get(*s, "k") == "new");
}

TEST_CASE("delete range over many pages leaves exactly the keys outside it") {
  temp_dir dir;
  auto s = open_store(dir.path());
  auto key = [](int i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "key%05d", i);
    return std::string{buf};
  };
  write_batch b;
  for (int i = 0; i < 5000; ++i)
    b.put(r1, key(i), std::string(40 + i % 300, 'v'));
  take(s->write(b));
  write_batch d;
  d.delete_range(r1, key(1000), key(4000));
  take(s->write(d));
  auto left = take(take(s->read()).scan("", "", 10000));
  REQUIRE(left.size() == 2000);
  CHECK(left[999].key == key(999));
  CHECK(left[1000].key == key(4000));
  CHECK(left.back().key == key(4999));
  CHECK(take(take(s->read()).approximate_usage(r1)).bytes ==
        take(take(s->read()).range_size("", "")));
}

TEST_CASE("values change size in place, including to and from overflow pages") {
  temp_dir dir;
  auto s = open_store(dir.path());
  for (auto size : {1, 5000, 3, 1 << 20, 0, 70'000}) {
    CAPTURE(size);
    put(*s, "k", std::string(static_cast<std::size_t>(size), 'x'));
    put(*s, "l", "neighbour");
    CHECK(get(*s, "k") == std::string(static_cast<std::size_t>(size), 'x'));
    CHECK(get(*s, "l") == "neighbour");
    CHECK(take(take(s->read()).approximate_usage(r1)).bytes ==
          1 + static_cast<std::uint64_t>(size) + 10);
  }
}
