#include "tools/lincheck/history.hpp"

#include <istream>

#include <nlohmann/json.hpp>

namespace rdb::lincheck {

namespace {

using json = nlohmann::json;

/// Thrown inside `parse` with the reason a line is refused; caught per line.
struct bad_line {
  std::string message;
};

const json& field(const json& j, const char* name) {
  auto i = j.find(name);
  if (i == j.end()) throw bad_line{std::string{"missing \""} + name + "\""};
  return *i;
}

std::string text(const json& j, const char* name) {
  const auto& v = field(j, name);
  if (!v.is_string()) throw bad_line{std::string{"\""} + name + "\" must be a string"};
  return v.get<std::string>();
}

/// A string, or none for JSON null.
std::optional<std::string> text_or_null(const json& j, const char* name) {
  const auto& v = field(j, name);
  if (v.is_null()) return std::nullopt;
  if (!v.is_string()) throw bad_line{std::string{"\""} + name + "\" must be a string or null"};
  return v.get<std::string>();
}

std::int64_t time_of(const json& v, const char* name) {
  if (!v.is_number_integer()) throw bad_line{std::string{"\""} + name + "\" must be an integer"};
  return v.get<std::int64_t>();
}

op_kind kind_of(const std::string& s) {
  if (s == "put") return op_kind::put;
  if (s == "get") return op_kind::get;
  if (s == "delete") return op_kind::del;
  if (s == "cas") return op_kind::cas;
  throw bad_line{"unknown op \"" + s + "\""};
}

outcome outcome_of(const std::string& s) {
  if (s == "ok") return outcome::ok;
  if (s == "fail") return outcome::fail;
  if (s == "unknown") return outcome::unknown;
  throw bad_line{"unknown outcome \"" + s + "\""};
}

operation parse(const std::string& line) {
  auto j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw bad_line{"not a JSON object"};
  operation op;
  const auto& client = field(j, "client");
  if (!client.is_number_unsigned()) throw bad_line{"\"client\" must be a non-negative integer"};
  op.client = client.get<std::uint64_t>();
  op.kind = kind_of(text(j, "op"));
  op.key = text(j, "key");
  op.out = outcome_of(text(j, "outcome"));
  op.invoke = time_of(field(j, "invoke"), "invoke");
  const auto& ret = field(j, "return");
  if (op.out == outcome::unknown) {
    if (!ret.is_null()) throw bad_line{"an unknown outcome has \"return\": null"};
  } else {
    op.ret = time_of(ret, "return");
    if (*op.ret < op.invoke) throw bad_line{"\"return\" is before \"invoke\""};
  }
  if (op.kind == op_kind::put || op.kind == op_kind::cas) op.value = text(j, "value");
  if (op.kind == op_kind::cas) op.expected = text_or_null(j, "expected");
  if (op.out == outcome::ok) {
    if (op.kind == op_kind::get) op.read = text_or_null(j, "result");
    if (op.kind == op_kind::cas) {
      const auto& r = field(j, "result");
      if (!r.is_boolean()) throw bad_line{"\"result\" of a cas must be true or false"};
      op.swapped = r.get<bool>();
    }
  }
  return op;
}

}  // namespace

std::expected<std::vector<operation>, parse_error> read_history(std::istream& in) {
  std::vector<operation> out;
  std::string line;
  for (std::size_t n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      out.push_back(parse(line));
      out.back().line = n;
    } catch (const bad_line& e) {
      return std::unexpected(parse_error{n, e.message});
    } catch (const json::exception& e) {
      return std::unexpected(parse_error{n, e.what()});
    }
  }
  return out;
}

std::string to_string(op_kind k) {
  switch (k) {
    case op_kind::put:
      return "put";
    case op_kind::get:
      return "get";
    case op_kind::del:
      return "delete";
    case op_kind::cas:
      return "cas";
  }
  return "unknown";
}

std::string to_string(outcome o) {
  switch (o) {
    case outcome::ok:
      return "ok";
    case outcome::fail:
      return "fail";
    case outcome::unknown:
      return "unknown";
  }
  return "unknown";
}

std::string to_json(const operation& op) {
  // Fields in the order the format shows them.
  std::string s = "{\"client\":" + std::to_string(op.client) + ",\"op\":\"" + to_string(op.kind) +
                  "\",\"key\":" + json(op.key).dump();
  if (op.kind == op_kind::cas)
    s += ",\"expected\":" + (op.expected ? json(*op.expected).dump() : std::string{"null"});
  if (op.kind == op_kind::put || op.kind == op_kind::cas)
    s += ",\"value\":" + json(op.value).dump();
  if (op.out == outcome::ok && op.kind == op_kind::get)
    s += ",\"result\":" + (op.read ? json(*op.read).dump() : std::string{"null"});
  if (op.out == outcome::ok && op.kind == op_kind::cas)
    s += std::string{",\"result\":"} + (op.swapped ? "true" : "false");
  s += ",\"invoke\":" + std::to_string(op.invoke) +
       ",\"return\":" + (op.ret ? std::to_string(*op.ret) : std::string{"null"}) +
       ",\"outcome\":\"" + to_string(op.out) + "\"}";
  return s;
}

}  // namespace rdb::lincheck
