#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>

#include "actors/common/errc.hpp"
#include "actors/common/inspect.hpp"

/// `rdb::errc` as a CAF error category, so request failures reach clients (in process or over
/// the middleman) as `caf::error{code, "rdb", context}`.
///
/// Context layout, fixed so remote clients can decode it: every error's context starts with a
/// human-readable `std::string` and the `region_id` the request was for; `not_leader` adds the
/// leader hint (`storage::region_peer`, id none if unknown: the hint names both peer and
/// store); `epoch_not_match` adds `std::vector<storage::region_meta>` with the current regions.
/// Every context ends with `maybe_applied` (bool).
namespace rdb {

/// The category atom of every client-visible store error.
inline constexpr caf::atom_value error_category = caf::atom("rdb");

/// Found by CAF through argument-dependent lookup: makes `caf::error e = errc::x;` and
/// `e == errc::x` work. Carries no context; prefer `to_error(request_error)`.
caf::error make_error(errc code);

/// The error a client sees for `e`, context laid out as documented above.
caf::error to_error(const request_error& e);

/// The reverse of `to_error`: nothing when `e` is none or of another category.
std::optional<request_error> to_request_error(const caf::error& e);

/// The store error code of `e`, or nothing when `e` is none or of another category.
std::optional<errc> rdb_code(const caf::error& e);

/// For a `not_leader` error: the leader hint (id none if the replica knew no leader).
std::optional<storage::region_peer> not_leader_hint(const caf::error& e);

/// For an `epoch_not_match` error: the current regions.
std::optional<std::vector<storage::region_meta>> epoch_not_match_regions(const caf::error& e);

/// Registers the "rdb" error category (with a renderer that prints the context) on `cfg`.
/// CAF 0.17's `add_error_category<T>` does not compile, so the renderer is spelled out.
void add_error_category(caf::actor_system_config& cfg);

}  // namespace rdb
