// include/s3co/credentials/credentials_json.hpp
#include "s3co/credentials/credentials_json.hpp"

#include <catch2/catch.hpp>

using namespace s3co;

TEST_CASE("flat JSON objects: strings, escapes, literals, nested values skipped", "[credentials][json]") {
  const auto members = credentials::parse_flat_json_object(
      " {\"a\":\"x\\\"y\\\\z\\/\\n\",\"b\":12.5e3,\"c\":true,\"d\":null,\"e\":{\"f\":[1,\"]\"]},\"g\":\"\\u00e9\\ud83d\\ude00\"} ");
  REQUIRE(members.has_value());
  CHECK(members->at("a") == "x\"y\\z/\n");
  CHECK(members->at("b") == "12.5e3");
  CHECK(members->at("c") == "true");
  CHECK_FALSE(members->contains("d"));
  CHECK_FALSE(members->contains("e"));
  CHECK(members->at("g") == "\xc3\xa9\xf0\x9f\x98\x80");
  for (const char* bad : {"", "[]", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{\"a\":\"x\"} trailing", "{\"a\":bogus}",
                          "{\"a\":\"\\q\"}", "{\"a\":\"\\ud83d\"}", "{\"a\":\"line\nbreak\"}"}) {
    INFO(bad);
    CHECK_FALSE(credentials::parse_flat_json_object(bad).has_value());
  }
}

TEST_CASE("credentials from JSON name the provider and the field", "[credentials][json]") {
  const auto creds = credentials::credentials_from_json(
      R"({"AccessKeyId":"ASIA1","SecretAccessKey":"sec","Token":"tok","Expiration":"2026-12-04T22:00:00Z"})", "test",
      {}, true);
  CHECK(creds.session_token == "tok");
  CHECK(aws::amz_timestamp(*creds.expiration).text() == "20261204T220000Z");
  CHECK_THROWS_WITH(credentials::credentials_from_json(R"({"AccessKeyId":"ASIA1","SecretAccessKey":"sec"})", "test", {}, true),
                    "test: the answer has no Expiration");
  CHECK_THROWS_WITH(credentials::credentials_from_json(R"({"AccessKeyId":"AS IA","SecretAccessKey":"sec"})", "test", {}, false),
                    Catch::StartsWith("test: access key id contains whitespace"));
}
