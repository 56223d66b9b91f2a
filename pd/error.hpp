#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

#include "actors/common/inspect.hpp"
#include "pd/errc.hpp"
#include "storage/types.hpp"

/// `pd::errc` as a CAF error category, so PD failures reach requesters (in process or over the
/// middleman) as `caf::error{code, "pd", context}`. The context is always a human-readable
/// `std::string` first; a `stale_epoch` error carries PD's current `storage::region_meta` second.
namespace rdb::pd {

/// The category atom of every PD error.
inline constexpr caf::atom_value error_category = caf::atom("pd");

/// Found by CAF through argument-dependent lookup: makes `caf::error e = errc::x;` and
/// `e == errc::x` work.
inline caf::error make_error(errc code) {
  return caf::error{static_cast<std::uint8_t>(code), error_category};
}

inline caf::error make_error(errc code, std::string what) {
  return caf::error{static_cast<std::uint8_t>(code), error_category,
                    caf::make_message(std::move(what))};
}

/// A `stale_epoch` error that tells the requester what PD knows instead.
inline caf::error make_stale_epoch_error(std::string what, storage::region_meta current) {
  return caf::error{static_cast<std::uint8_t>(errc::stale_epoch), error_category,
                    caf::make_message(std::move(what), std::move(current))};
}

/// The PD error code of `e`, or nothing when `e` is none or of another category.
inline std::optional<errc> pd_code(const caf::error& e) {
  if (!e || e.category() != error_category) return std::nullopt;
  return static_cast<errc>(e.code());
}

/// For a `stale_epoch` error: PD's current meta of the region the request was about.
inline std::optional<storage::region_meta> stale_epoch_region(const caf::error& e) {
  if (pd_code(e) != errc::stale_epoch) return std::nullopt;
  const auto& ctx = e.context();
  if (!ctx.match_elements<std::string, storage::region_meta>()) return std::nullopt;
  return ctx.get_as<storage::region_meta>(1);
}

}  // namespace rdb::pd
