// Reading a JSON object in a test: the parse and each field fail the test,
// naming the text or the field, when they are not what is expected.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include <simdjson.h>

namespace s3co::testing {

inline simdjson::dom::object parse_object(simdjson::dom::parser& parser, const std::string& text) {
  INFO(text);
  simdjson::dom::object object;
  REQUIRE(parser.parse(text).get(object) == simdjson::SUCCESS);
  return object;
}

inline std::string string_field(simdjson::dom::object object, const char* name) {
  std::string_view value;
  INFO(name);
  REQUIRE(object[name].get(value) == simdjson::SUCCESS);
  return std::string(value);
}

inline std::uint64_t number_field(simdjson::dom::object object, const char* name) {
  std::uint64_t value = 0;
  INFO(name);
  REQUIRE(object[name].get(value) == simdjson::SUCCESS);
  return value;
}

}  // namespace s3co::testing
