#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include "tools/lincheck/checker.hpp"

namespace rdb::lincheck {

namespace {

/// A history from lines of the shared format.
std::vector<operation> history(const std::string& text) {
  std::istringstream in{text};
  auto h = read_history(in);
  REQUIRE_MESSAGE(h.has_value(), (h ? std::string{} : h.error().message));
  return *h;
}

bool linearizable(const std::string& text) {
  return check(history(text)).linearizable;
}

}  // namespace

TEST_CASE("lincheck: sequential and overlapping histories that have an order pass") {
  CHECK(linearizable(""));
  CHECK(linearizable(R"(
{"client":1,"op":"put","key":"k","value":"v1","invoke":10,"return":20,"outcome":"ok"}
{"client":2,"op":"get","key":"k","result":"v1","invoke":30,"return":40,"outcome":"ok"}
{"client":3,"op":"delete","key":"k","invoke":50,"return":60,"outcome":"ok"}
{"client":4,"op":"get","key":"k","result":null,"invoke":70,"return":80,"outcome":"ok"}
)"));
  // A read overlapping a write may see either side of it.
  CHECK(linearizable(R"(
{"client":1,"op":"put","key":"k","value":"v1","invoke":10,"return":20,"outcome":"ok"}
{"client":1,"op":"put","key":"k","value":"v2","invoke":30,"return":60,"outcome":"ok"}
{"client":2,"op":"get","key":"k","result":"v1","invoke":35,"return":40,"outcome":"ok"}
{"client":3,"op":"get","key":"k","result":"v2","invoke":45,"return":50,"outcome":"ok"}
)"));
  // Keys are independent registers.
  CHECK(linearizable(R"(
{"client":1,"op":"put","key":"a","value":"1","invoke":10,"return":20,"outcome":"ok"}
{"client":2,"op":"get","key":"b","result":null,"invoke":30,"return":40,"outcome":"ok"}
)"));
}

TEST_CASE("lincheck: a stale read fails") {
  CHECK_FALSE(linearizable(R"(
{"client":1,"op":"put","key":"k","value":"v1","invoke":10,"return":20,"outcome":"ok"}
{"client":1,"op":"put","key":"k","value":"v2","invoke":30,"return":40,"outcome":"ok"}
{"client":2,"op":"get","key":"k","result":"v1","invoke":50,"return":60,"outcome":"ok"}
)"));
  // Both reads overlap the write, but once one saw it a later one may not go back.
  CHECK_FALSE(linearizable(R"(
{"client":1,"op":"put","key":"k","value":"v1","invoke":10,"return":20,"outcome":"ok"}
{"client":1,"op":"put","key":"k","value":"v2","invoke":30,"return":60,"outcome":"ok"}
{"client":2,"op":"get","key":"k","result":"v2","invoke":35,"return":40,"outcome":"ok"}
{"client":3,"op":"get","key":"k","result":"v1","invoke":45,"return":50,"outcome":"ok"}
)"));
}

TEST_CASE("lincheck: a lost write fails") {
  CHECK_FALSE(linearizable(R"(
{"client":1,"op":"put","key":"k","value":"v1","invoke":10,"return":20,"outcome":"ok"}
{"client":2,"op":"get","key":"k","result":null,"invoke":30,"return":40,"outcome":"ok"}
)"));
}

TEST_CASE("lincheck: a write applied twice fails") {
  // v1 shows up again after v2 replaced it: v1 was applied a second time.
  CHECK_FALSE(linearizable(R"(
{"client":1,"op":"put","key":"k","value":"v1","invoke":10,"return":20,"outcome":"ok"}
{"client":2,"op":"put","key":"k","value":"v2","invoke":30,"return":40,"outcome":"ok"}
{"client":3,"op":"get","key":"k","result":"v2","invoke":50,"return":60,"outcome":"ok"}
{"client":3,"op":"get","key":"k","result":"v1","invoke":70,"return":80,"outcome":"ok"}
)"));
}

TEST_CASE("lincheck: a read of a value never written fails") {
  CHECK_FALSE(linearizable(R"(
{"client":1,"op":"put","key":"k","value":"v1","invoke":10,"return":20,"outcome":"ok"}
{"client":2,"op":"get","key":"k","result":"zz","invoke":30,"return":40,"outcome":"ok"}
)"));
}

TEST_CASE("lincheck: a compare-and-swap decides against the register's value") {
  const std::string before = R"(
{"client":1,"op":"put","key":"k","value":"v1","invoke":10,"return":20,"outcome":"ok"}
)";
  CHECK(linearizable(before + R"(
{"client":2,"op":"cas","key":"k","expected":"v1","value":"v2","result":true,"invoke":30,"return":40,"outcome":"ok"}
{"client":3,"op":"get","key":"k","result":"v2","invoke":50,"return":60,"outcome":"ok"}
)"));
  // Refused although the value matched.
  CHECK_FALSE(linearizable(before + R"(
{"client":2,"op":"cas","key":"k","expected":"v1","value":"v2","result":false,"invoke":30,"return":40,"outcome":"ok"}
)"));
  // Swapped although the key was not absent.
  CHECK_FALSE(linearizable(before + R"(
{"client":2,"op":"cas","key":"k","expected":null,"value":"v2","result":true,"invoke":30,"return":40,"outcome":"ok"}
)"));
  // A refused cas changes nothing.
  CHECK_FALSE(linearizable(before + R"(
{"client":2,"op":"cas","key":"k","expected":"v0","value":"v2","result":false,"invoke":30,"return":40,"outcome":"ok"}
{"client":3,"op":"get","key":"k","result":"v2","invoke":50,"return":60,"outcome":"ok"}
)"));
}

TEST_CASE("lincheck: unknown outcomes may take effect late or never; fails never do") {
  // Seen long after its call, or never: both fine.
  CHECK(linearizable(R"(
{"client":1,"op":"put","key":"k","value":"v1","invoke":10,"return":null,"outcome":"unknown"}
{"client":2,"op":"get","key":"k","result":null,"invoke":30,"return":40,"outcome":"ok"}
{"client":2,"op":"get","key":"k","result":"v1","invoke":500,"return":510,"outcome":"ok"}
)"));
  CHECK(linearizable(R"(
{"client":1,"op":"put","key":"k","value":"v1","invoke":10,"return":null,"outcome":"unknown"}
{"client":2,"op":"get","key":"k","result":null,"invoke":30,"return":40,"outcome":"ok"}
)"));
  // But not before it was called.
  CHECK_FALSE(linearizable(R"(
{"client":2,"op":"get","key":"k","result":"v1","invoke":0,"return":5,"outcome":"ok"}
{"client":1,"op":"put","key":"k","value":"v1","invoke":10,"return":null,"outcome":"unknown"}
)"));
  // A failed write certainly did not take effect.
  CHECK_FALSE(linearizable(R"(
{"client":1,"op":"put","key":"k","value":"v1","invoke":10,"return":20,"outcome":"fail"}
{"client":2,"op":"get","key":"k","result":"v1","invoke":30,"return":40,"outcome":"ok"}
)"));
}

TEST_CASE("lincheck: the smallest failing key is reported with its history") {
  auto r = check(history(R"(
{"client":1,"op":"put","key":"big","value":"a1","invoke":10,"return":20,"outcome":"ok"}
{"client":1,"op":"put","key":"big","value":"a2","invoke":30,"return":40,"outcome":"ok"}
{"client":2,"op":"get","key":"big","result":"a1","invoke":50,"return":60,"outcome":"ok"}
{"client":1,"op":"put","key":"small","value":"b1","invoke":10,"return":20,"outcome":"ok"}
{"client":2,"op":"get","key":"small","result":null,"invoke":30,"return":40,"outcome":"ok"}
{"client":3,"op":"get","key":"fine","result":null,"invoke":30,"return":40,"outcome":"ok"}
)"));
  CHECK_FALSE(r.linearizable);
  CHECK(r.keys == 3);
  REQUIRE(r.failures.size() == 2);
  CHECK(r.failures[0].key == "small");
  CHECK(r.failures[0].ops.size() == 2);
  CHECK(r.failures[1].key == "big");
}

TEST_CASE("lincheck: a search over its budget is a failure, not a pass") {
  // Many concurrent writes and a read of the first: linearizable, but only after a search.
  std::string text;
  for (int i = 0; i < 12; ++i)
    text += R"({"client":)" + std::to_string(i) + R"(,"op":"put","key":"k","value":"v)" +
            std::to_string(i) + R"(","invoke":0,"return":100,"outcome":"ok"})" + "\n";
  text +=
      R"({"client":99,"op":"get","key":"k","result":"v0","invoke":200,"return":210,"outcome":"ok"})";
  auto ops = history(text);
  CHECK(check(ops).linearizable);
  auto tight = check(ops, check_options{.max_states = 5});
  CHECK_FALSE(tight.linearizable);
  REQUIRE(tight.failures.size() == 1);
  CHECK(tight.failures[0].budget_exceeded);
}

TEST_CASE("lincheck: malformed lines are refused with their line number") {
  auto bad = [](const std::string& text) {
    std::istringstream in{text};
    return read_history(in);
  };
  auto r = bad(
      "\n{\"client\":1,\"op\":\"put\",\"key\":\"k\",\"invoke\":1,\"return\":2,\"outcome\":\"ok\"}");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().line == 2);
  CHECK(r.error().message.find("value") != std::string::npos);
  CHECK_FALSE(bad("not json").has_value());
  CHECK_FALSE(bad(R"({"client":1,"op":"scan","key":"k","invoke":1,"return":2,"outcome":"ok"})")
                  .has_value());
  CHECK_FALSE(
      bad(R"({"client":1,"op":"get","key":"k","result":null,"invoke":5,"return":2,"outcome":"ok"})")
          .has_value());
  CHECK_FALSE(
      bad(R"({"client":1,"op":"put","key":"k","value":"v","invoke":1,"return":2,"outcome":"unknown"})")
          .has_value());
}

TEST_CASE("lincheck: an operation survives a write and a read of the format") {
  operation op;
  op.client = 7;
  op.kind = op_kind::cas;
  op.key = "k\"ey";
  op.expected = std::nullopt;
  op.value = "v\n2";
  op.swapped = true;
  op.invoke = 3;
  op.ret = 9;
  std::istringstream in{to_json(op)};
  auto back = read_history(in);
  REQUIRE(back.has_value());
  REQUIRE(back->size() == 1);
  op.line = 1;
  CHECK((*back)[0] == op);
}

}  // namespace rdb::lincheck
