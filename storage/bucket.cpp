#include "storage/bucket.hpp"

#include <algorithm>
#include <cstdint>

#include "storage/types.hpp"

namespace rdb::storage {

namespace {

constexpr std::uint8_t bucket_version = 1;

void put_u32(std::string& out, std::size_t x) {
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<char>((x >> (8 * i)) & 0xff));
}

std::optional<std::uint32_t> take_u32(std::string_view& in) {
  if (in.size() < 4) return std::nullopt;
  std::uint32_t x = 0;
  for (int i = 0; i < 4; ++i)
    x |= std::uint32_t{static_cast<std::uint8_t>(in[i])} << (8 * i);
  in.remove_prefix(4);
  return x;
}

std::optional<std::string_view> take_bytes(std::string_view& in, std::size_t limit) {
  auto n = take_u32(in);
  if (!n || *n > limit || *n > in.size()) return std::nullopt;
  auto out = in.substr(0, *n);
  in.remove_prefix(*n);
  return out;
}

}  // namespace

std::optional<bucket> bucket::decode(std::string_view bytes) {
  if (bytes.empty() || static_cast<std::uint8_t>(bytes[0]) != bucket_version) return std::nullopt;
  bytes.remove_prefix(1);
  auto count = take_u32(bytes);
  if (!count) return std::nullopt;
  bucket b;
  for (std::uint32_t i = 0; i < *count; ++i) {
    auto suffix = take_bytes(bytes, max_key_size - bucket_prefix);
    if (!suffix) return std::nullopt;
    auto value = take_bytes(bytes, max_value_size);
    if (!value) return std::nullopt;
    if (!b.entries_.empty() && *suffix <= b.entries_.back().first) return std::nullopt;
    b.entries_.emplace_back(std::string{*suffix}, std::string{*value});
  }
  if (!bytes.empty()) return std::nullopt;
  return b;
}

std::string bucket::encode() const {
  std::size_t size = 5;
  for (const auto& [suffix, value] : entries_)
    size += 8 + suffix.size() + value.size();
  std::string out;
  out.reserve(size);
  out.push_back(static_cast<char>(bucket_version));
  put_u32(out, entries_.size());
  for (const auto& [suffix, value] : entries_) {
    put_u32(out, suffix.size());
    out.append(suffix);
    put_u32(out, value.size());
    out.append(value);
  }
  return out;
}

std::vector<bucket::entry>::iterator bucket::lower_bound(std::string_view suffix) {
  return std::lower_bound(entries_.begin(), entries_.end(), suffix,
                          [](const entry& e, std::string_view s) { return e.first < s; });
}

const std::string* bucket::find(std::string_view suffix) const {
  auto i = std::lower_bound(entries_.begin(), entries_.end(), suffix,
                            [](const entry& e, std::string_view s) { return e.first < s; });
  return i != entries_.end() && i->first == suffix ? &i->second : nullptr;
}

std::optional<std::size_t> bucket::put(std::string_view suffix, std::string_view value) {
  auto i = lower_bound(suffix);
  if (i != entries_.end() && i->first == suffix) {
    auto old = i->second.size();
    i->second.assign(value);
    return old;
  }
  entries_.emplace(i, std::string{suffix}, std::string{value});
  return std::nullopt;
}

std::optional<std::size_t> bucket::erase(std::string_view suffix) {
  auto i = lower_bound(suffix);
  if (i == entries_.end() || i->first != suffix) return std::nullopt;
  auto old = i->second.size();
  entries_.erase(i);
  return old;
}

}  // namespace rdb::storage
