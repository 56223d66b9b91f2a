#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <ostream>

namespace rdb {

/// A 64-bit number that only compares with numbers of the same `Tag`, so a term can never be
/// passed where an index is expected. Zero means "none" for every id kind.
template <class Tag>
class strong_id {
 public:
  constexpr strong_id() = default;
  constexpr explicit strong_id(std::uint64_t v) : value_(v) {}

  constexpr std::uint64_t value() const { return value_; }
  constexpr bool is_none() const { return value_ == 0; }

  constexpr auto operator<=>(const strong_id&) const = default;

  /// Ordered ids (terms, indexes) step forward and back by plain counts.
  constexpr strong_id operator+(std::uint64_t n) const { return strong_id{value_ + n}; }
  constexpr strong_id operator-(std::uint64_t n) const { return strong_id{value_ - n}; }
  constexpr std::uint64_t operator-(strong_id other) const { return value_ - other.value_; }
  constexpr strong_id& operator++() {
    ++value_;
    return *this;
  }

  friend std::ostream& operator<<(std::ostream& os, strong_id id) { return os << id.value_; }

  template <class Inspector>
  friend auto inspect(Inspector& f, strong_id& x) {
    return f(x.value_);
  }

 private:
  std::uint64_t value_ = 0;
};

}  // namespace rdb

template <class Tag>
struct std::hash<rdb::strong_id<Tag>> {
  std::size_t operator()(rdb::strong_id<Tag> id) const noexcept {
    return std::hash<std::uint64_t>{}(id.value());
  }
};
