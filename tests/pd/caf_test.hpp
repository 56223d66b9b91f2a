#pragma once

/// CAF's deterministic test coordinator DSL on top of doctest: CAF's own check macros are
/// redefined on doctest's, then the DSL (`expect`, `inject`, `allow`, fixtures) is included.
/// Exactly one .cpp of the test binary includes <caf/test/unit_test_impl.hpp> (main.cpp).

#include <doctest/doctest.h>

#include <caf/test/unit_test.hpp>

#undef CAF_CHECK
#undef CAF_CHECK_EQUAL
#undef CAF_CHECK_NOT_EQUAL
#undef CAF_CHECK_FAIL
#undef CAF_REQUIRE
#undef CAF_REQUIRE_EQUAL
#undef CAF_REQUIRE_NOT_EQUAL
#undef CAF_FAIL
#undef CAF_ERROR
#undef CAF_MESSAGE

#define CAF_CHECK(...) CHECK(__VA_ARGS__)
#define CAF_CHECK_EQUAL(x, y) CHECK((x) == (y))
#define CAF_CHECK_NOT_EQUAL(x, y) CHECK((x) != (y))
#define CAF_CHECK_FAIL(...) CHECK_FALSE(__VA_ARGS__)
#define CAF_REQUIRE(...) REQUIRE(__VA_ARGS__)
#define CAF_REQUIRE_EQUAL(x, y) REQUIRE((x) == (y))
#define CAF_REQUIRE_NOT_EQUAL(x, y) REQUIRE((x) != (y))
#define CAF_FAIL(msg) FAIL(msg)
#define CAF_ERROR(msg) FAIL_CHECK(msg)
#define CAF_MESSAGE(msg) \
  do {                   \
  } while (false)

#include <caf/test/dsl.hpp>
