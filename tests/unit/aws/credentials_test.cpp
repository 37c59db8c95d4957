#include "s3co/aws/credentials.hpp"
#include "s3co/aws/region.hpp"

#include <catch2/catch.hpp>

#include "support/scoped_environment.hpp"
#include "support/temp_file.hpp"

using namespace s3co::aws;
using s3co::testing::scoped_environment;
using s3co::testing::temp_file;

namespace {

const std::string secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const std::string token = "FQoGZXIvYXdzEXAMPLETOKEN+/=";

void clean_environment(scoped_environment& env) {
  for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                           "AWS_SHARED_CREDENTIALS_FILE", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"}) {
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

TEST_CASE("credentials come from the environment first", "[credentials]") {
  scoped_environment env;
  clean_environment(env);
  env.set("AWS_ACCESS_KEY_ID", "AKIDENV").set("AWS_SECRET_ACCESS_KEY", secret).set("AWS_SESSION_TOKEN", token);
  const temp_file file("[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = other\n");
  env.set("AWS_SHARED_CREDENTIALS_FILE", file.path());
  const auto resolved = resolve_credentials();
  CHECK(resolved.source == "environment");
  CHECK(resolved.value.access_key_id == "AKIDENV");
  CHECK(resolved.value.secret_access_key == secret);
  CHECK(resolved.value.session_token == token);
}

TEST_CASE("explicit credentials win over every other source", "[credentials]") {
  scoped_environment env;
  clean_environment(env);
  env.set("AWS_ACCESS_KEY_ID", "AKIDENV").set("AWS_SECRET_ACCESS_KEY", secret);
  const auto resolved = resolve_credentials(credentials{"AKIDSTATIC", secret, ""});
  CHECK(resolved.source == "explicit");
  CHECK(resolved.value.access_key_id == "AKIDSTATIC");
}

TEST_CASE("a half-set environment is an error naming the missing variable", "[credentials]") {
  scoped_environment env;
  clean_environment(env);
  env.set("AWS_SECRET_ACCESS_KEY", secret);
  CHECK_THAT(config_error_of([] { resolve_credentials(); }), Catch::Contains("AWS_ACCESS_KEY_ID"));
  env.clear("AWS_SECRET_ACCESS_KEY").set("AWS_ACCESS_KEY_ID", "AKID");
  CHECK_THAT(config_error_of([] { resolve_credentials(); }), Catch::Contains("AWS_SECRET_ACCESS_KEY"));
}

TEST_CASE("the shared credentials file, its profiles and its errors", "[credentials]") {
  scoped_environment env;
  clean_environment(env);
  const temp_file file(
      "# comment\n"
      "[default]\n"
      "aws_access_key_id=AKIDDEFAULT\n"
      "aws_secret_access_key=" + secret + "\n"
      "\n"
      "[work]\n"
      "; another comment\n"
      "  AWS_Access_Key_Id =  AKIDWORK  \n"
      "aws_secret_access_key = " + secret + "\n"
      "aws_session_token = " + token + "\n"
      "[broken]\n"
      "aws_access_key_id = AKIDBROKEN\n");
  env.set("AWS_SHARED_CREDENTIALS_FILE", file.path());

  SECTION("default profile") {
    const auto resolved = resolve_credentials();
    CHECK(resolved.value.access_key_id == "AKIDDEFAULT");
    CHECK(resolved.value.session_token.empty());
    CHECK_THAT(resolved.source, Catch::Contains("profile default") && Catch::Contains(file.path()));
  }
  SECTION("named profile, names case-insensitive, values trimmed") {
    env.set("AWS_PROFILE", "work");
    const auto resolved = resolve_credentials();
    CHECK(resolved.value.access_key_id == "AKIDWORK");
    CHECK(resolved.value.secret_access_key == secret);
    CHECK(resolved.value.session_token == token);
  }
  SECTION("a missing profile") {
    env.set("AWS_PROFILE", "nope");
    CHECK_THAT(config_error_of([] { resolve_credentials(); }), Catch::Contains("has no profile nope"));
  }
  SECTION("a profile without a secret") {
    env.set("AWS_PROFILE", "broken");
    CHECK_THAT(config_error_of([] { resolve_credentials(); }), Catch::Contains("aws_secret_access_key"));
  }
}

TEST_CASE("a malformed credentials file is reported by line, never by content", "[credentials]") {
  scoped_environment env;
  clean_environment(env);
  const temp_file file("[default]\naws_access_key_id = AKID\n" + secret + "\n");
  env.set("AWS_SHARED_CREDENTIALS_FILE", file.path());
  CHECK_THAT(config_error_of([] { resolve_credentials(); }), Catch::Contains("line 3"));
}

TEST_CASE("a named but missing credentials file is an error, and so is no source at all", "[credentials]") {
  scoped_environment env;
  clean_environment(env);
  env.set("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials");
  CHECK_THAT(config_error_of([] { resolve_credentials(); }), Catch::Contains("cannot be read"));
  env.clear("AWS_SHARED_CREDENTIALS_FILE");
  CHECK_THAT(config_error_of([] { resolve_credentials(); }), Catch::Contains("none found"));
}

TEST_CASE("credentials with whitespace are rejected", "[credentials]") {
  CHECK_THROWS_AS(validate_credentials({"AKID X", secret, ""}, "test"), config_error);
  CHECK_THROWS_AS(validate_credentials({"AKID", secret + "\n", ""}, "test"), config_error);
  CHECK_THROWS_AS(validate_credentials({"", secret, ""}, "test"), config_error);
  CHECK_NOTHROW(validate_credentials({"AKID", secret, token}, "test"));
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
