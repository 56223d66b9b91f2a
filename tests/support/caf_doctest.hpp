#pragma once

/// CAF's deterministic test DSL (`test_coordinator_fixture`, `expect`, `inject`, `allow`,
/// `sched.run()`) under doctest. Include this instead of <caf/test/dsl.hpp>: CAF's unit test
/// header is included first, its check macros are rebound to doctest's, and only then the DSL,
/// which uses them. Link `caf_test_main.cpp` (doctest's main plus the CAF test engine the
/// fixture asks for its command line).

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

#define CAF_CHECK(x) CHECK(x)
#define CAF_CHECK_EQUAL(x, y) CHECK((x) == (y))
#define CAF_CHECK_NOT_EQUAL(x, y) CHECK((x) != (y))
#define CAF_CHECK_FAIL(msg) FAIL_CHECK(msg)
#define CAF_REQUIRE(x) REQUIRE(x)
#define CAF_REQUIRE_EQUAL(x, y) REQUIRE((x) == (y))
#define CAF_REQUIRE_NOT_EQUAL(x, y) REQUIRE((x) != (y))
#define CAF_FAIL(msg) FAIL(msg)
#define CAF_ERROR(msg) FAIL_CHECK(msg)
#define CAF_MESSAGE(msg) static_cast<void>(0)

#include <caf/test/dsl.hpp>
