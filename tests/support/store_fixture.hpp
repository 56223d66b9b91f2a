#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "actors/store/store_types.hpp"
#include "storage/engines.hpp"
#include "storage/store.hpp"
#include "tests/support/caf_doctest.hpp"

namespace rdb::test {

/// An actor system config with every store-side message type and the "rdb" error category.
struct store_test_config : caf::actor_system_config {
  store_test_config() { add_store_types(*this); }
};

/// The fixture of deterministic actor tests: CAF's test coordinator with the store types.
using store_fixture = test_coordinator_fixture<store_test_config>;

/// Where the answer to a request sent with `send_request` lands: empty until it comes.
template <class Response>
using answer_slot = std::shared_ptr<std::optional<caf::expected<Response>>>;

/// Sends a request from a fresh actor without running anything; the answer (a value or an
/// error) lands in the returned slot once the coordinator has run far enough.
template <class Response, class Handle, class... Ts>
answer_slot<Response> send_request(caf::actor_system& sys, Handle dest, Ts... xs) {
  auto out = std::make_shared<std::optional<caf::expected<Response>>>();
  sys.spawn([=](caf::event_based_actor* self) {
    self->request(dest, caf::infinite, xs...)
        .then([=](Response& r) { *out = std::move(r); },
              [=](caf::error& e) { *out = caf::expected<Response>{std::move(e)}; });
  });
  return out;
}

/// Sends a request from a fresh actor, runs the coordinator until nothing is left to do and
/// returns the answer (a value or an error). Fails the test if no answer came: on the
/// deterministic scheduler a missing answer is a hang, never a slow reply.
template <class Response, class Handle, class... Ts>
caf::expected<Response> ask(caf::actor_system& sys, caf::scheduler::test_coordinator& sched,
                            Handle dest, Ts... xs) {
  auto out = send_request<Response>(sys, dest, xs...);
  sched.run();
  REQUIRE_MESSAGE(out->has_value(), "the request was never answered");
  return std::move(**out);
}

/// Like `ask`, but runs only the messages already due and never fires a timer, so it also works
/// while periodic timers (a ticker) are armed. Fails the test if the answer needs time to pass.
template <class Response, class Handle, class... Ts>
caf::expected<Response> ask_now(caf::actor_system& sys, caf::scheduler::test_coordinator& sched,
                                Handle dest, Ts... xs) {
  auto out = send_request<Response>(sys, dest, xs...);
  while (sched.try_run_once()) {
  }
  REQUIRE_MESSAGE(out->has_value(), "the request was not answered without time passing");
  return std::move(**out);
}

/// Options for store `store` of test cluster 7, created if missing.
inline storage::store_options test_store_options(store_id store) {
  storage::store_options o;
  o.cluster = cluster_id{7};
  o.store = store;
  o.create_if_missing = true;
  return o;
}

/// Opens (creating the directory and the store if needed) store `store` in `dir`, failing the
/// test on error.
inline std::shared_ptr<storage::store> open_test_store(const std::string& dir, store_id store) {
  std::filesystem::create_directories(dir);
  auto st = storage::store::open(dir, test_store_options(store));
  REQUIRE_MESSAGE(st.has_value(), "cannot open store in " << dir);
  return std::shared_ptr<storage::store>{std::move(*st)};
}

/// Opens (creating them if needed) both environments of store `store` under `dir`, failing the
/// test on error.
inline storage::engines open_test_engines(const std::string& dir, store_id store) {
  auto st = storage::engines::open(dir, test_store_options(store));
  REQUIRE_MESSAGE(st.has_value(), "cannot open store in " << dir);
  return std::move(*st);
}

}  // namespace rdb::test
