// Partitions: stores told to drop raft traffic to and from others, for fault scenarios. Each
// store's transport takes the message only if its node was started with --allow-partitions
// (the console's own clusters are).
#include <set>

#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/transport/connector.hpp"
#include "actors/transport/ports.hpp"
#include "actors/transport/transport_interface.hpp"
#include "tools/rdb-console/console.hpp"
#include "tools/rdb-console/text.hpp"

namespace rdb::console {

namespace {

/// Tells the store `s` to cut itself off from `cut` (empty: heal).
outcome tell(console& c, const pd::store_info& s, const std::vector<store_id>& cut) {
  auto name = "store " + std::to_string(s.id.value());
  auto hp = split_address(s.address);
  if (!hp) return std::unexpected(name + " has no address PD knows");
  if (!reachable(hp->first, hp->second, c.options().timeout))
    return std::unexpected(name + " at " + s.address + " does not answer");
  auto& sys = c.pd().system();
  auto inbox = sys.middleman().remote_actor<transport_inbox_actor>(hp->first, hp->second);
  if (!inbox) return std::unexpected("cannot attach to " + name + ": " + sys.render(inbox.error()));
  outcome out = std::unexpected(name + " did not answer");
  caf::scoped_actor self{sys};
  self->request(*inbox, c.options().timeout, partition_atom::value, cut)
      .receive([&](bool) { out = {}; },
               [&](caf::error& e) { out = std::unexpected(name + ": " + sys.render(e)); });
  return out;
}

std::expected<std::vector<pd::store_info>, std::string> live_stores(console& c) {
  auto all = c.pd().ask<std::vector<pd::store_info>>(pd::get_stores_atom::value);
  if (!all) return std::unexpected(all.error());
  std::erase_if(*all,
                [](const pd::store_info& s) { return s.state == pd::store_state::tombstone; });
  return all;
}

outcome partition(console& c, const args& a) {
  std::set<store_id> groups[2];
  int side = 0;
  for (const auto& word : a) {
    if (word == "|") {
      if (++side > 1) return std::unexpected("more than two groups; " + c.usage_of("partition"));
      continue;
    }
    auto id = parse_number(word);
    if (!id) return std::unexpected("'" + word + "' is not a store id; " + c.usage_of("partition"));
    if (groups[1 - side].count(store_id{*id}) > 0)
      return std::unexpected("store " + word + " is on both sides");
    groups[side].insert(store_id{*id});
  }
  if (side != 1 || groups[0].empty() || groups[1].empty())
    return std::unexpected("two groups of stores are needed; " + c.usage_of("partition"));
  auto all = live_stores(c);
  if (!all) return std::unexpected(all.error());
  for (int g = 0; g < 2; ++g)
    for (auto id : groups[g])
      if (std::ranges::find(*all, id, &pd::store_info::id) == all->end())
        return std::unexpected("PD knows no store " + std::to_string(id.value()));
  for (const auto& s : *all)
    for (int g = 0; g < 2; ++g)
      if (groups[g].count(s.id) > 0) {
        std::vector<store_id> other(groups[1 - g].begin(), groups[1 - g].end());
        if (auto ok = tell(c, s, other); !ok) return ok;
      }
  return {};
}

outcome heal(console& c, const args&) {
  auto all = live_stores(c);
  if (!all) return std::unexpected(all.error());
  for (const auto& s : *all)
    if (s.state == pd::store_state::up)
      if (auto ok = tell(c, s, {}); !ok) return ok;
  return {};
}

}  // namespace

void add_partition_commands(std::map<std::string, command>& table) {
  table["partition"] = {
      "partition",
      "<stores> | <stores>",
      "cuts raft traffic between two groups of stores, e.g. partition 1 | 2 3",
      "Each store named drops raft messages and snapshots to and from the other group; stores "
      "not named keep talking to both. Refused by stores not started with --allow-partitions "
      "(the console's own clusters are). A new partition replaces the last one.",
      3,
      16,
      partition};
  table["heal"] = {
      "heal", "", "ends the partition: every store that is up talks to all again", "", 0, 0, heal};
}

}  // namespace rdb::console
