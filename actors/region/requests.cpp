#include "actors/region/requests.hpp"

namespace rdb {

namespace {

std::optional<request_error> refuse(const char* what, std::size_t size, std::size_t limit,
                                    region_id region) {
  if (size <= limit) return std::nullopt;
  return make_request_error(errc::invalid_argument, region,
                            std::string{what} + " of " + std::to_string(size) +
                                " bytes exceeds the limit of " + std::to_string(limit));
}

}  // namespace

std::optional<request_error> request_limits::check_key(std::string_view key,
                                                       region_id region) const {
  return refuse("key", key.size(), max_key_bytes, region);
}

std::optional<request_error> request_limits::check_value(std::string_view value,
                                                         region_id region) const {
  return refuse("value", value.size(), max_value_bytes, region);
}

}  // namespace rdb
