// doctest's main, plus the CAF test engine that `test_coordinator_fixture` reads its command
// line from.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#define CAF_TEST_NO_MAIN
#include <caf/test/unit_test_impl.hpp>
