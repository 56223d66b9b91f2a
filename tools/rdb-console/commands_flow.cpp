// Flow: what a script waits for and asserts.
#include <thread>

#include "tools/client/client.hpp"
#include "tools/rdb-console/console.hpp"
#include "tools/rdb-console/text.hpp"

namespace rdb::console {

namespace {

/// Whether a condition holds now, and what was seen, for the message when it does not.
struct reading {
  bool holds = false;
  std::string seen;
};

using probe = std::function<std::expected<reading, std::string>(console&)>;

/// A condition read from the front of a command's arguments.
struct condition {
  probe check;
  /// How many arguments it took.
  std::size_t used = 0;
};

const char* const conditions_help =
    "Conditions:\n"
    "  regions <op> <n>      PD's region count compares so (op: == != < <= > >=)\n"
    "  leader <region>       PD knows a leader of the region\n"
    "  replicas <region> <n> the region has n voters\n"
    "  value <key> <value>   a linearizable read of key gives value\n"
    "  absent <key>          a linearizable read of key finds nothing\n"
    "  store <id> up|down|tombstone  PD sees the store so\n"
    "  operators none        PD runs no operator";

std::optional<bool> compare(std::string_view op, std::uint64_t a, std::uint64_t b) {
  if (op == "==") return a == b;
  if (op == "!=") return a != b;
  if (op == "<") return a < b;
  if (op == "<=") return a <= b;
  if (op == ">") return a > b;
  if (op == ">=") return a >= b;
  return std::nullopt;
}

std::expected<pd::region_info, std::string> region_of(console& c, region_id id) {
  return c.pd().ask<pd::region_info>(pd::get_region_by_id_atom::value, id);
}

std::expected<std::optional<std::string>, std::string> read_key(console& c, const std::string& k) {
  auto kv = c.kv();
  if (!kv) return std::unexpected(kv.error());
  auto got = (*kv)->get(k);
  if (!got)
    return std::unexpected(std::string{client::to_string(got.error().what)} + ": " +
                           got.error().detail);
  return *got;
}

std::expected<condition, std::string> parse_condition(const args& a) {
  if (a.empty()) return std::unexpected(std::string{"no condition"});
  const auto& kind = a[0];
  auto need = [&](std::size_t n) -> std::expected<void, std::string> {
    if (a.size() < n + 1)
      return std::unexpected("condition '" + kind + "' takes " + std::to_string(n) + " arguments");
    return {};
  };
  auto number = [&](std::size_t i, const char* what) -> std::expected<std::uint64_t, std::string> {
    auto n = parse_number(a[i]);
    if (!n) return std::unexpected("'" + a[i] + "' is not " + what);
    return *n;
  };
  if (kind == "regions") {
    if (auto ok = need(2); !ok) return std::unexpected(ok.error());
    auto n = number(2, "a count");
    if (!n) return std::unexpected(n.error());
    std::string op = a[1];
    if (!compare(op, 0, 0)) return std::unexpected("'" + op + "' is not a comparison");
    return condition{
        [op, want = *n](console& c) -> std::expected<reading, std::string> {
          auto all = c.pd().ask<std::vector<pd::region_info>>(pd::get_regions_atom::value);
          if (!all) return std::unexpected(all.error());
          return reading{*compare(op, all->size(), want), std::to_string(all->size()) + " regions"};
        },
        3};
  }
  if (kind == "leader") {
    if (auto ok = need(1); !ok) return std::unexpected(ok.error());
    auto id = number(1, "a region id");
    if (!id) return std::unexpected(id.error());
    return condition{
        [id = *id](console& c) -> std::expected<reading, std::string> {
          auto r = region_of(c, region_id{id});
          if (!r) return std::unexpected(r.error());
          if (r->leader.id.is_none()) return reading{false, "no leader"};
          return reading{true, "leader on store " + std::to_string(r->leader.store.value())};
        },
        2};
  }
  if (kind == "replicas") {
    if (auto ok = need(2); !ok) return std::unexpected(ok.error());
    auto id = number(1, "a region id");
    if (!id) return std::unexpected(id.error());
    auto n = number(2, "a count");
    if (!n) return std::unexpected(n.error());
    return condition{[id = *id, want = *n](console& c) -> std::expected<reading, std::string> {
                       auto r = region_of(c, region_id{id});
                       if (!r) return std::unexpected(r.error());
                       auto voters = std::ranges::count(r->meta.peers, storage::peer_role::voter,
                                                        &storage::region_peer::role);
                       return reading{static_cast<std::uint64_t>(voters) == want,
                                      std::to_string(voters) + " voters"};
                     },
                     3};
  }
  if (kind == "value") {
    if (auto ok = need(2); !ok) return std::unexpected(ok.error());
    return condition{[key = a[1], want = a[2]](console& c) -> std::expected<reading, std::string> {
                       auto got = read_key(c, key);
                       if (!got) return std::unexpected(got.error());
                       if (!*got) return reading{false, "absent"};
                       return reading{**got == want, printable(**got)};
                     },
                     3};
  }
  if (kind == "absent") {
    if (auto ok = need(1); !ok) return std::unexpected(ok.error());
    return condition{[key = a[1]](console& c) -> std::expected<reading, std::string> {
                       auto got = read_key(c, key);
                       if (!got) return std::unexpected(got.error());
                       return reading{!*got, *got ? printable(**got) : "absent"};
                     },
                     2};
  }
  if (kind == "store") {
    if (auto ok = need(2); !ok) return std::unexpected(ok.error());
    auto id = number(1, "a store id");
    if (!id) return std::unexpected(id.error());
    if (a[2] != "up" && a[2] != "down" && a[2] != "tombstone")
      return std::unexpected("'" + a[2] + "' is none of up, down, tombstone");
    return condition{[id = *id, want = a[2]](console& c) -> std::expected<reading, std::string> {
                       auto s = c.pd().ask<pd::store_info>(pd::get_store_atom::value, store_id{id});
                       if (!s) return std::unexpected(s.error());
                       return reading{pd::to_string(s->state) == want, pd::to_string(s->state)};
                     },
                     3};
  }
  if (kind == "operators") {
    if (auto ok = need(1); !ok) return std::unexpected(ok.error());
    if (a[1] != "none") return std::unexpected("'" + a[1] + "' is not none");
    return condition{[](console& c) -> std::expected<reading, std::string> {
                       auto all =
                           c.pd().ask<std::vector<pd::operator_info>>(pd::operators_atom::value);
                       if (!all) return std::unexpected(all.error());
                       auto n = std::ranges::count(*all, pd::operator_status::running,
                                                   &pd::operator_info::status);
                       return reading{n == 0, std::to_string(n) + " running"};
                     },
                     2};
  }
  return std::unexpected("unknown condition '" + kind + "'");
}

outcome wait(console& c, const args& a) {
  auto cond = parse_condition(a);
  if (!cond) return std::unexpected(cond.error() + "; " + c.usage_of("wait"));
  std::chrono::milliseconds bound{10'000};
  if (a.size() == cond->used + 1) {
    auto d = parse_duration(a.back());
    if (!d) return std::unexpected("'" + a.back() + "' is not a timeout such as 500ms, 5s or 1m");
    bound = *d;
  } else if (a.size() > cond->used + 1) {
    return std::unexpected(std::string{"too many arguments; "} + c.usage_of("wait"));
  }
  auto deadline = std::chrono::steady_clock::now() + bound;
  std::string last;
  while (true) {
    auto r = cond->check(c);
    if (r && r->holds) return {};
    last = r ? r->seen : r.error();
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  return std::unexpected("did not hold within " + std::to_string(bound.count()) +
                         " ms; last seen: " + last);
}

outcome check(console& c, const args& a) {
  auto cond = parse_condition(a);
  if (!cond) return std::unexpected(cond.error() + "; " + c.usage_of("assert"));
  if (a.size() != cond->used)
    return std::unexpected(std::string{"too many arguments; "} + c.usage_of("assert"));
  auto r = cond->check(c);
  if (!r) return std::unexpected(r.error());
  if (!r->holds) return std::unexpected("does not hold: seen " + r->seen);
  return {};
}

outcome echo(console& c, const args& a) {
  for (std::size_t i = 0; i < a.size(); ++i)
    c.out() << (i ? " " : "") << a[i];
  c.out() << "\n";
  return {};
}

outcome pause(console& c, const args& a) {
  auto d = parse_duration(a[0]);
  if (!d) return std::unexpected("'" + a[0] + "' is not a duration; " + c.usage_of("sleep"));
  std::this_thread::sleep_for(*d);
  return {};
}

}  // namespace

void add_flow_commands(std::map<std::string, command>& table) {
  table["wait"] = {"wait",
                   "<condition> [timeout]",
                   "waits until a condition holds, at most timeout (default 10s)",
                   conditions_help,
                   1,
                   4,
                   wait};
  table["assert"] = {
      "assert", "<condition>", "fails unless a condition holds now", conditions_help, 1, 3, check};
  table["echo"] = {"echo", "[words]", "prints its arguments", "", 0, 64, echo};
  table["sleep"] = {"sleep", "<duration>", "pauses the script, e.g. sleep 500ms", "", 1, 1, pause};
}

}  // namespace rdb::console
