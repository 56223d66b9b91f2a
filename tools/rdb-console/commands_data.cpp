// Data: reads and writes through the C++ client, as an application makes them.
#include "tools/client/client.hpp"
#include "tools/rdb-console/console.hpp"
#include "tools/rdb-console/text.hpp"

namespace rdb::console {

namespace {

std::string failure(const client::error& e) {
  std::string out{client::to_string(e.what)};
  if (e.cause != e.what) out += " (last attempt: " + std::string{client::to_string(e.cause)} + ")";
  if (!e.detail.empty()) out += ": " + e.detail;
  if (e.maybe_applied) out += "; the write may have been applied";
  return out;
}

outcome put(console& c, const args& a) {
  auto kv = c.kv();
  if (!kv) return std::unexpected(kv.error());
  if (auto ok = (*kv)->put(a[0], a[1]); !ok) return std::unexpected(failure(ok.error()));
  c.out() << "OK\n";
  return {};
}

outcome get(console& c, const args& a) {
  auto kv = c.kv();
  if (!kv) return std::unexpected(kv.error());
  auto got = (*kv)->get(a[0]);
  if (!got) return std::unexpected(failure(got.error()));
  c.out() << (*got ? printable(**got) : std::string{"(absent)"}) << "\n";
  return {};
}

outcome del(console& c, const args& a) {
  auto kv = c.kv();
  if (!kv) return std::unexpected(kv.error());
  if (auto ok = (*kv)->del(a[0]); !ok) return std::unexpected(failure(ok.error()));
  c.out() << "OK\n";
  return {};
}

outcome scan(console& c, const args& a) {
  std::uint64_t limit = 100;
  if (a.size() == 3) {
    auto n = parse_number(a[2]);
    if (!n || *n == 0 || *n > 100'000)
      return std::unexpected("limit '" + a[2] + "' is not a number from 1 to 100000; " +
                             c.usage_of("scan"));
    limit = *n;
  }
  auto kv = c.kv();
  if (!kv) return std::unexpected(kv.error());
  auto got = (*kv)->scan(a[0], a[1], static_cast<std::uint32_t>(limit));
  if (!got) return std::unexpected(failure(got.error()));
  for (const auto& [k, v] : *got)
    c.out() << printable(k) << " = " << printable(v) << "\n";
  c.out() << got->size() << (got->size() == 1 ? " record\n" : " records\n");
  return {};
}

outcome cas(console& c, const args& a) {
  auto kv = c.kv();
  if (!kv) return std::unexpected(kv.error());
  std::optional<std::string_view> expected;
  if (a.size() == 3) expected = a[2];
  auto got = (*kv)->compare_and_swap(a[0], expected, a[1]);
  if (!got) return std::unexpected(failure(got.error()));
  if (got->swapped)
    c.out() << "swapped\n";
  else
    c.out() << "not swapped: the key holds "
            << (got->previous ? printable(*got->previous) : std::string{"nothing"}) << "\n";
  return {};
}

}  // namespace

void add_data_commands(std::map<std::string, command>& table) {
  table["put"] = {"put", "<key> <value>", "writes a value", "", 2, 2, put};
  table["get"] = {"get", "<key>", "reads a value (linearizable)", "", 1, 1, get};
  table["delete"] = {"delete", "<key>", "deletes a key; an absent key is fine", "", 1, 1, del};
  table["scan"] = {"scan",
                   "<start> <end> [limit]",
                   "the records in [start, end) in key order, at most limit (default 100)",
                   "An empty end (\"\") is +infinity.",
                   2,
                   3,
                   scan};
  table["cas"] = {"cas",
                  "<key> <value> [expected]",
                  "writes <value> if the key holds <expected> now (without it: if it is absent)",
                  "Prints whether it swapped, and what the key held if not.",
                  2,
                  3,
                  cas};
}

}  // namespace rdb::console
