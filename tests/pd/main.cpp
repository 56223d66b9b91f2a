#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#define CAF_TEST_NO_MAIN
// GCC 12 warns about std::regex inside CAF's test engine once sanitizers change its inlining
// (a known false positive of -Wmaybe-uninitialized in libstdc++).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <caf/test/unit_test_impl.hpp>
#pragma GCC diagnostic pop

int main(int argc, char** argv) {
  // The test coordinator fixture reads its settings from CAF's test engine arguments; it gets
  // none, so doctest's own options never reach CAF's config parser.
  caf::test::engine::args(0, nullptr);
  doctest::Context ctx;
  ctx.applyCommandLine(argc, argv);
  return ctx.run();
}
