#include "actors/pd_client/pd_link.hpp"
#include "pd/error.hpp"
#include "pd/pd_interface.hpp"
#include "tests/support/store_fixture.hpp"

using namespace rdb;

using link_fixture = test::store_fixture;

TEST_CASE_FIXTURE(link_fixture, "pd link: before PD is connected a request fails at once") {
  auto link = caf::actor_cast<pd::pd_actor>(spawn_pd_link(sys));
  auto out = test::send_request<store_id>(sys, link, pd::put_store_atom::value, pd::store_info{});
  // A link that took itself for PD would pass the request to itself without end.
  auto steps = sched.run(1000);
  CHECK(steps < 1000);
  REQUIRE(out->has_value());
  REQUIRE_FALSE(out->value());
  CHECK(pd::pd_code(out->value().error()) == pd::errc::unreachable);
}
