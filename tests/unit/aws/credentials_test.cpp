#include "s3co/aws/credentials.hpp"
#include "s3co/aws/region.hpp"

#include <catch2/catch.hpp>

#include "support/scoped_environment.hpp"

using namespace s3co::aws;
using s3co::testing::scoped_environment;

namespace {

const std::string secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const std::string token = "FQoGZXIvYXdzEXAMPLETOKEN+/=";

void clean_environment(scoped_environment& env) {
  for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                           "AWS_CREDENTIAL_EXPIRATION", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
                           "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"}) {
    env.clear(name);
  }
  env.set("HOME", "/nonexistent-s3co-home");
}

// Runs `body`, expecting a config_error; returns its message, and checks no
// secret leaked into it.
template <typename Body>
std::string config_error_of(Body body) {
  try {
    body();
  } catch (const config_error& error) {
    const std::string message = error.what();
    CHECK(message.find(secret) == std::string::npos);
    CHECK(message.find(token) == std::string::npos);
    CHECK(message.find("K7MDENG") == std::string::npos);
    return message;
  }
  FAIL("expected a config_error");
  return {};
}

}  // namespace

// The chain that picks among the sources is tested in
// tests/unit/credentials/provider_chain_test.cpp.

TEST_CASE("credentials from the environment, with an expiration when given", "[credentials]") {
  scoped_environment env;
  clean_environment(env);
  CHECK_FALSE(credentials_from_environment().has_value());
  env.set("AWS_ACCESS_KEY_ID", "AKIDENV").set("AWS_SECRET_ACCESS_KEY", secret).set("AWS_SESSION_TOKEN", token);
  auto creds = credentials_from_environment();
  REQUIRE(creds.has_value());
  CHECK(creds->session_token == token);
  CHECK_FALSE(creds->expiration.has_value());
  env.set("AWS_CREDENTIAL_EXPIRATION", "2026-12-04T22:00:00Z");
  creds = credentials_from_environment();
  REQUIRE(creds->expiration.has_value());
  CHECK(amz_timestamp(*creds->expiration).text() == "20261204T220000Z");
  CHECK(unexpired(*creds, *creds->expiration - std::chrono::seconds(1)));
  CHECK_FALSE(unexpired(*creds, *creds->expiration));
  env.set("AWS_CREDENTIAL_EXPIRATION", "soon");
  CHECK_THAT(config_error_of([] { credentials_from_environment(); }), Catch::Contains("AWS_CREDENTIAL_EXPIRATION"));
}

TEST_CASE("a half-set environment is an error naming the missing variable", "[credentials]") {
  scoped_environment env;
  clean_environment(env);
  env.set("AWS_SECRET_ACCESS_KEY", secret);
  CHECK_THAT(config_error_of([] { credentials_from_environment(); }), Catch::Contains("AWS_ACCESS_KEY_ID"));
  env.clear("AWS_SECRET_ACCESS_KEY").set("AWS_ACCESS_KEY_ID", "AKID");
  CHECK_THAT(config_error_of([] { credentials_from_environment(); }), Catch::Contains("AWS_SECRET_ACCESS_KEY"));
}

TEST_CASE("credentials with whitespace are rejected", "[credentials]") {
  CHECK_THROWS_AS(validate_credentials({"AKID X", secret, "", std::nullopt}, "test"), config_error);
  CHECK_THROWS_AS(validate_credentials({"AKID", secret + "\n", "", std::nullopt}, "test"), config_error);
  CHECK_THROWS_AS(validate_credentials({"", secret, "", std::nullopt}, "test"), config_error);
  CHECK_NOTHROW(validate_credentials({"AKID", secret, token, std::nullopt}, "test"));
}

TEST_CASE("region resolution order", "[region]") {
  scoped_environment env;
  clean_environment(env);
  CHECK(resolve_region() == "us-east-1");
  env.set("AWS_DEFAULT_REGION", "eu-west-1");
  CHECK(resolve_region() == "eu-west-1");
  env.set("AWS_REGION", "ap-south-2");
  CHECK(resolve_region() == "ap-south-2");
  env.set("AWS_REGION", "Not A Region");
  CHECK_THROWS_WITH(resolve_region(), Catch::Contains("AWS_REGION"));
}
