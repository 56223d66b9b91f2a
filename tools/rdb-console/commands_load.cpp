// Load: background clients whose history a scenario checks for linearizability.
#include <fstream>

#include "tools/lincheck/checker.hpp"
#include "tools/rdb-console/console.hpp"
#include "tools/rdb-console/load.hpp"
#include "tools/rdb-console/text.hpp"

namespace rdb::console {

namespace {

outcome start(console& c, const args& a) {
  if (c.load()) return std::unexpected(std::string{"a load runs already (load stop ends it)"});
  auto n = parse_number(a[1]);
  if (!n || *n < 1 || *n > 64)
    return std::unexpected("'" + a[1] + "' is not a client count from 1 to 64");
  auto stores = c.pd().ask<std::vector<pd::store_info>>(pd::get_stores_atom::value);
  if (!stores) return std::unexpected(stores.error());
  std::vector<std::string> addresses;
  for (const auto& s : *stores)
    if (!s.client_address.empty() && s.state != pd::store_state::tombstone)
      addresses.push_back(s.client_address);
  if (addresses.empty()) return std::unexpected(std::string{"PD lists no store"});
  c.load() = std::make_unique<load_runner>(std::move(addresses), *n, c.options().timeout);
  c.out() << "load: " << *n << " clients started\n";
  return {};
}

outcome stop(console& c, const args& a) {
  if (!c.load()) return std::unexpected(std::string{"no load runs (load start <clients>)"});
  auto done = c.load()->stop();
  c.load().reset();
  c.out() << "load: " << done.operations << " operations in " << done.seconds << " s ("
          << static_cast<std::uint64_t>(static_cast<double>(done.operations) / done.seconds)
          << " ops/s), " << done.errors << " errors, " << done.unknown
          << " writes of unknown outcome\n";
  if (a.size() == 2) {
    std::ofstream file{a[1]};
    for (const auto& op : done.history)
      file << lincheck::to_json(op) << "\n";
    if (!file) return std::unexpected("cannot write the history to " + a[1]);
    c.out() << "load: history written to " << a[1] << "\n";
  }
  auto verdict = lincheck::check(done.history);
  if (verdict.linearizable) {
    c.out() << "load: history linearizable (" << verdict.operations << " operations, "
            << verdict.keys << " keys)\n";
    return {};
  }
  const auto& worst = verdict.failures.front();
  std::string why = worst.budget_exceeded ? "its search ran out of budget" : "not linearizable";
  std::string ops;
  for (const auto& op : worst.ops)
    ops += "\n  " + lincheck::to_json(op);
  return std::unexpected("history of key " + worst.key + ": " + why + ":" + ops);
}

outcome load(console& c, const args& a) {
  if (a[0] == "start" && a.size() == 2) return start(c, a);
  if (a[0] == "stop" && a.size() <= 2) return stop(c, a);
  return std::unexpected(c.usage_of("load"));
}

}  // namespace

void add_load_commands(std::map<std::string, command>& table) {
  table["load"] = {
      "load",
      "start <clients> | stop [history-file]",
      "background clients reading and writing 16 keys, one per initial region",
      "load start runs 1-64 closed-loop clients, each on its own thread and client, half gets "
      "and half puts of unique values. load stop ends them, prints operations, ops/s and "
      "errors, writes the history (the shared JSON-lines format) if a file is given, and "
      "fails unless the history is linearizable.",
      1,
      2,
      load};
}

}  // namespace rdb::console
