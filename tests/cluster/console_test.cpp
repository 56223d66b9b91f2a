// The console (rdb-console, named by the RDB_CONSOLE environment variable) against a real
// cluster: inspection, data and placement commands, scripts that stop at the first failure,
// and bad input refused before anything reaches the cluster.
#include <doctest/doctest.h>

#include <string>

#include "tests/cluster/console_run.hpp"
#include "tests/cluster/process_cluster.hpp"

namespace rdb::test {

TEST_CASE("console: inspects the cluster, reads and writes, splits and moves leadership") {
  process_cluster cluster{3};
  auto stores = run_console(cluster, "stores\nstatus\n");
  CHECK_MESSAGE(stores.status == 0, stores.out);
  CHECK(stores.has("STORE  STATE"));
  CHECK(stores.has(cluster.client_address(0)));
  auto data = run_console(cluster,
                          "put \"\\x01a\" one   # a comment\n"
                          "put \"\\x01b\" two; get \"\\x01a\"\n"
                          "get \"\\x01zz\"\n"
                          "cas \"\\x01a\" three one\n"
                          "cas \"\\x01a\" four one\n"
                          "scan \"\\x01\" \"\\x02\"\n"
                          "delete \"\\x01b\"\n"
                          "assert absent \"\\x01b\"\n"
                          "assert value \"\\x01a\" three\n");
  CHECK_MESSAGE(data.status == 0, data.out);
  CHECK(data.has("one\n(absent)\nswapped\nnot swapped: the key holds three\n"));
  CHECK(data.has("\"\\x01a\" = three\n\"\\x01b\" = two\n2 records\n"));
  // The first region, ["", "\x10"), holds both keys: split it between them.
  auto split = run_console(cluster,
                           "regions \"\\x01a\"\n"
                           "split 4 \"\\x01b\"\n"
                           "assert regions == 17\n"
                           "regions \"\\x01b\"\n");
  CHECK_MESSAGE(split.status == 0, split.out);
  CHECK(split.has("split into region 4 [\"\", \"\\x01b\") and region "));
  // A split PD or the store refuses says why, and the script stops there with its line.
  auto refused = run_console(cluster,
                             "split 4 \"\\x05\"\n"
                             "echo not reached\n");
  CHECK(refused.status == 1);
  CHECK(refused.has("scenario.rdbs:1: split: "));
  CHECK(refused.has("is not strictly inside region 4"));
  CHECK_FALSE(refused.has("not reached"));
  auto empty = run_console(cluster, "split 8\n");
  CHECK(empty.status == 1);
  CHECK_MESSAGE(empty.has("cannot be split: it holds fewer than two keys"), empty.out);
  // Leadership moves to each store in turn, confirmed by PD.
  auto moved = run_console(cluster,
                           "wait leader 12\n"
                           "transfer-leader 12 1\n"
                           "transfer-leader 12 2\n"
                           "transfer-leader 12 3\n",
                           "--timeout=20s");
  CHECK_MESSAGE(moved.status == 0, moved.out);
  CHECK(moved.has("region 12 is led by store 3"));
  auto json = run_console(cluster, "region 12\n", "--json");
  CHECK_MESSAGE(json.status == 0, json.out);
  CHECK(json.has("\"id\":12"));
  CHECK(json.has("\"leader_store\":"));
}

TEST_CASE("console: bad input is refused with the command's usage, nothing sent") {
  process_cluster cluster{3};
  struct bad {
    const char* script;
    const char* says;
  };
  for (auto [script, says] : {
           bad{"frobnicate\n", "unknown command 'frobnicate' (help lists the commands)"},
           bad{"split\n", "split: wrong number of arguments; usage: split <region> [key]"},
           bad{"get a b\n", "get: wrong number of arguments; usage: get <key>"},
           bad{"region x\n", "region: 'x' is not a region id; usage: region <id>"},
           bad{"put \"a b\n", "unterminated quote"},
           bad{"put \"\\q\" v\n", "bad escape"},
           bad{"scan a b 0\n", "limit '0' is not a number from 1 to 100000"},
           bad{"wait regions ~ 3\n", "'~' is not a comparison"},
           bad{"sleep soon\n", "'soon' is not a duration"},
           bad{"move 4 1 x\n", "move: 'x' is not a store id; usage: move <region>"},
           bad{"move 4 1 2\n", "already holds a replica of region 4"},
           bad{"scheduler balance-everything on\n", "no scheduler named 'balance-everything'"},
           bad{"decommission 1\n", "no live store is left to take"},
           bad{"cancel-operator 4\n", "region 4 has no running operator"},
           bad{"kill-store 1\n", "this console started no cluster"},
           bad{"kill-pd\n", "this console started no cluster"},
           bad{"cluster start 0\n", "'0' is not a store count from 1 to 9"},
           bad{"cluster stop now\n", "no 'cluster stop'"},
           bad{"partition 1 | 2 3\n", "was not started to allow partitions"},
           bad{"partition 1 2 3\n", "two groups of stores are needed"},
           bad{"partition 1 | 1 2\n", "store 1 is on both sides"},
           bad{"load stop\n", "no load runs"},
           bad{"load start 0\n", "'0' is not a client count from 1 to 64"},
       }) {
    std::string text = script;
    CAPTURE(text);
    auto run = run_console(cluster, text);
    CHECK(run.status == 1);
    CHECK_MESSAGE(run.has(says), run.out);
  }
  // Nothing of the above reached the cluster: the key is still absent, no region split.
  auto after = run_console(cluster, "assert absent \"a b\"\nassert regions == 16\n");
  CHECK_MESSAGE(after.status == 0, after.out);
  auto failed = run_console(cluster, "assert regions == 3\n");
  CHECK(failed.status == 1);
  CHECK(failed.has("assert: does not hold: seen 16 regions"));
  auto help = run_console(cluster, "help\nhelp split\n");
  CHECK(help.status == 0);
  CHECK(help.has("usage: split <region> [key]"));
}

}  // namespace rdb::test
