// doctest's main, plus the CAF test engine that `test_coordinator_fixture` reads its command
// line from.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#define CAF_TEST_NO_MAIN
// GCC 12 warns about std::regex inside CAF's test engine once sanitizers change its inlining
// (a known false positive of -Wmaybe-uninitialized in libstdc++).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <caf/test/unit_test_impl.hpp>
#pragma GCC diagnostic pop
