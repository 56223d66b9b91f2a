#include "actors/common/errors.hpp"

#include <utility>

#include <caf/make_message.hpp>
#include <caf/message.hpp>

namespace rdb {

caf::error make_error(errc code) {
  return caf::error{static_cast<std::uint8_t>(code), error_category};
}

caf::error to_error(const request_error& e) {
  auto code = static_cast<std::uint8_t>(e.code);
  switch (e.code) {
    case errc::not_leader:
      return caf::error{code, error_category,
                        caf::make_message(e.detail, e.region, e.leader, e.maybe_applied)};
    case errc::epoch_not_match:
      return caf::error{code, error_category,
                        caf::make_message(e.detail, e.region, e.regions, e.maybe_applied)};
    default:
      return caf::error{code, error_category,
                        caf::make_message(e.detail, e.region, e.maybe_applied)};
  }
}

std::optional<errc> rdb_code(const caf::error& e) {
  if (!e || e.category() != error_category) return std::nullopt;
  return static_cast<errc>(e.code());
}

std::optional<request_error> to_request_error(const caf::error& e) {
  auto code = rdb_code(e);
  if (!code) return std::nullopt;
  request_error out;
  out.code = *code;
  const auto& ctx = e.context();
  if (ctx.match_elements<std::string, region_id, bool>()) {
    out.detail = ctx.get_as<std::string>(0);
    out.region = ctx.get_as<region_id>(1);
    out.maybe_applied = ctx.get_as<bool>(2);
  } else if (ctx.match_elements<std::string, region_id, storage::region_peer, bool>()) {
    out.detail = ctx.get_as<std::string>(0);
    out.region = ctx.get_as<region_id>(1);
    out.leader = ctx.get_as<storage::region_peer>(2);
    out.maybe_applied = ctx.get_as<bool>(3);
  } else if (ctx.match_elements<std::string, region_id, std::vector<storage::region_meta>,
                                bool>()) {
    out.detail = ctx.get_as<std::string>(0);
    out.region = ctx.get_as<region_id>(1);
    out.regions = ctx.get_as<std::vector<storage::region_meta>>(2);
    out.maybe_applied = ctx.get_as<bool>(3);
  }
  return out;
}

std::optional<storage::region_peer> not_leader_hint(const caf::error& e) {
  auto re = to_request_error(e);
  if (!re || re->code != errc::not_leader) return std::nullopt;
  return re->leader;
}

std::optional<std::vector<storage::region_meta>> epoch_not_match_regions(const caf::error& e) {
  auto re = to_request_error(e);
  if (!re || re->code != errc::epoch_not_match) return std::nullopt;
  return re->regions;
}

void add_error_category(caf::actor_system_config& cfg) {
  cfg.add_error_category(error_category,
                         [](std::uint8_t code, caf::atom_value, const caf::message& ctx) {
                           std::string out = "rdb: ";
                           out += to_string(static_cast<errc>(code));
                           if (!ctx.empty()) out += " " + caf::to_string(ctx);
                           return out;
                         });
}

}  // namespace rdb
