#include "tools/lincheck/checker.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <unordered_set>
#include <utility>

namespace rdb::lincheck {

namespace {

/// The register's value as an index into the key's distinct values; -1 is "absent".
using value_id = std::int64_t;
constexpr value_id absent = -1;

constexpr std::int64_t never = std::numeric_limits<std::int64_t>::max();

/// Which operations took effect, one bit each, and the register's value then.
struct state {
  std::vector<std::uint64_t> done;
  value_id value = absent;

  bool operator==(const state&) const = default;
};

struct state_hash {
  std::size_t operator()(const state& s) const {
    std::size_t h = std::hash<value_id>{}(s.value);
    for (auto w : s.done)
      h = h * 1'000'003 ^ std::hash<std::uint64_t>{}(w);
    return h;
  }
};

bool test(const std::vector<std::uint64_t>& bits, std::size_t i) {
  return (bits[i / 64] >> (i % 64)) & 1U;
}

void set(std::vector<std::uint64_t>& bits, std::size_t i) {
  bits[i / 64] |= std::uint64_t{1} << (i % 64);
}

/// One key's operations in the form the search steps through.
struct step_op {
  op_kind kind = op_kind::get;
  outcome out = outcome::ok;
  std::int64_t invoke = 0;
  std::int64_t ret = never;
  value_id value = absent;
  value_id expected = absent;
  value_id read = absent;
  bool swapped = false;
};

/// The value after `op` takes effect on `v`, or nothing if its result says it cannot have.
std::optional<value_id> apply(const step_op& op, value_id v) {
  switch (op.kind) {
    case op_kind::put:
      return op.value;
    case op_kind::del:
      return absent;
    case op_kind::get:
      if (op.read != v) return std::nullopt;
      return v;
    case op_kind::cas: {
      bool matches = v == op.expected;
      if (op.out == outcome::ok && op.swapped != matches) return std::nullopt;
      return matches ? op.value : v;
    }
  }
  return std::nullopt;
}

/// A search frame: a state, its earliest pending return, how many required operations it
/// has taken, and the next operation to try from it.
struct frame {
  state s;
  std::int64_t min_ret = never;
  std::size_t required_done = 0;
  std::size_t next = 0;
};

}  // namespace

key_verdict check_key(std::string key, std::vector<operation> ops, const check_options& opts) {
  key_verdict verdict;
  verdict.key = std::move(key);
  std::erase_if(ops, [](const operation& op) {
    return op.out == outcome::fail || (op.out == outcome::unknown && op.kind == op_kind::get);
  });
  std::stable_sort(ops.begin(), ops.end(),
                   [](const operation& a, const operation& b) { return a.invoke < b.invoke; });
  std::map<std::string, value_id> values;
  auto id_of = [&](const std::optional<std::string>& v) -> value_id {
    if (!v) return absent;
    return values.emplace(*v, static_cast<value_id>(values.size())).first->second;
  };
  std::vector<step_op> steps;
  std::size_t required = 0;
  for (const auto& op : ops) {
    step_op s;
    s.kind = op.kind;
    s.out = op.out;
    s.invoke = op.invoke;
    s.ret = op.ret.value_or(never);
    if (op.kind == op_kind::put || op.kind == op_kind::cas) s.value = id_of(op.value);
    if (op.kind == op_kind::cas) s.expected = id_of(op.expected);
    if (op.kind == op_kind::get) s.read = id_of(op.read);
    s.swapped = op.swapped;
    if (op.out == outcome::ok) ++required;
    steps.push_back(s);
  }
  verdict.ops = std::move(ops);
  const std::size_t n = steps.size();
  auto earliest_return = [&](const state& s) {
    std::int64_t m = never;
    for (std::size_t i = 0; i < n; ++i)
      if (!test(s.done, i)) m = std::min(m, steps[i].ret);
    return m;
  };

  std::unordered_set<state, state_hash> seen;
  std::vector<frame> stack;
  frame root;
  root.s.done.assign((n + 63) / 64, 0);
  root.min_ret = earliest_return(root.s);
  seen.insert(root.s);
  stack.push_back(std::move(root));
  verdict.states = 1;
  while (!stack.empty()) {
    auto& f = stack.back();
    if (f.required_done == required) {
      verdict.linearizable = true;
      return verdict;
    }
    std::optional<frame> child;
    // Operations are in invocation order: past the earliest pending return, none may go next.
    for (; f.next < n && steps[f.next].invoke <= f.min_ret && !child; ++f.next) {
      auto i = f.next;
      if (test(f.s.done, i)) continue;
      auto v = apply(steps[i], f.s.value);
      if (!v) continue;
      frame c;
      c.s.done = f.s.done;
      set(c.s.done, i);
      c.s.value = *v;
      if (!seen.insert(c.s).second) continue;
      c.required_done = f.required_done + (steps[i].out == outcome::ok ? 1 : 0);
      c.min_ret = earliest_return(c.s);
      child = std::move(c);
    }
    if (!child) {
      stack.pop_back();
      continue;
    }
    if (++verdict.states > opts.max_states) {
      verdict.budget_exceeded = true;
      return verdict;
    }
    stack.push_back(std::move(*child));
  }
  return verdict;
}

report check(const std::vector<operation>& history, const check_options& opts) {
  report r;
  r.operations = history.size();
  std::map<std::string, std::vector<operation>> by_key;
  for (const auto& op : history)
    by_key[op.key].push_back(op);
  r.keys = by_key.size();
  for (auto& [key, ops] : by_key) {
    auto v = check_key(key, std::move(ops), opts);
    r.states += v.states;
    if (v.linearizable) continue;
    r.linearizable = false;
    r.failures.push_back(std::move(v));
  }
  std::stable_sort(
      r.failures.begin(), r.failures.end(),
      [](const key_verdict& a, const key_verdict& b) { return a.ops.size() < b.ops.size(); });
  return r;
}

}  // namespace rdb::lincheck
