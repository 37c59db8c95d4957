// include/s3co/s3/client_from_environment.hpp: the one-call client, resolved
// from the environment as the AWS SDKs resolve it.
#include "s3co/s3/client_from_environment.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>

#include "support/scoped_environment.hpp"

using namespace s3co;

namespace {

// A clean slate: nothing of the machine's own AWS set-up leaks in.
void clear_aws_environment(s3co::testing::scoped_environment& env) {
  for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
                           "AWS_DEFAULT_REGION", "S3_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL",
                           "AWS_SHARED_CREDENTIALS_FILE", "AWS_PROFILE", "AWS_CA_BUNDLE"}) {
    env.clear(name);
  }
  env.set("HOME", "/nonexistent-home");
}

}  // namespace

TEST_CASE("client_from_environment resolves region, endpoint and credentials and owns its transport",
          "[s3-client][environment]") {
  s3co::testing::scoped_environment env;
  clear_aws_environment(env);
  env.set("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE").set("AWS_SECRET_ACCESS_KEY", "secret").set("AWS_REGION", "eu-west-1");
  boost::asio::io_context io;

  auto on_aws = s3::client_from_environment(io.get_executor());
  CHECK(on_aws.region() == "eu-west-1");
  CHECK(on_aws.endpoint().host == "s3.eu-west-1.amazonaws.com");
  CHECK(on_aws.credentials().access_key_id == "AKIDEXAMPLE");
  CHECK(on_aws.credentials_source() == "environment");
  CHECK(on_aws.sender().options().tls.ca_file.empty());
  CHECK(on_aws.make_request(aws::http_method::get, "bucket", "k").host == "bucket.s3.eu-west-1.amazonaws.com");

  env.set("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:7480");
  auto local = s3::client_from_environment(io.get_executor());
  CHECK(local.endpoint().authority() == "127.0.0.1:7480");

  // Explicit settings win over the environment.
  auto explicit_client = s3::client_from_environment(
      io.get_executor(), {.credentials = aws::credentials{"AKIDOTHER", "other"}, .region = "af-south-1"});
  CHECK(explicit_client.region() == "af-south-1");
  CHECK(explicit_client.credentials_source() == "explicit");
}

TEST_CASE("client_from_environment honours AWS_CA_BUNDLE and names it when it cannot be read",
          "[s3-client][environment]") {
  s3co::testing::scoped_environment env;
  clear_aws_environment(env);
  env.set("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE").set("AWS_SECRET_ACCESS_KEY", "secret");
  boost::asio::io_context io;

  env.set("AWS_CA_BUNDLE", "/nonexistent/ca.pem");
  CHECK_THROWS_WITH(s3::client_from_environment(io.get_executor()), Catch::StartsWith("AWS_CA_BUNDLE:"));

  // Any readable PEM file is taken as the trust store.
  env.set("AWS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt");
  auto trusted = s3::client_from_environment(io.get_executor());
  CHECK(trusted.sender().options().tls.ca_file == "/etc/ssl/certs/ca-certificates.crt");
}

TEST_CASE("client_from_environment fails before any request, naming the variable", "[s3-client][environment]") {
  s3co::testing::scoped_environment env;
  clear_aws_environment(env);
  boost::asio::io_context io;
  CHECK_THROWS_WITH(s3::client_from_environment(io.get_executor()), Catch::StartsWith("credentials:"));
  env.set("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE").set("AWS_SECRET_ACCESS_KEY", "secret");
  env.set("AWS_REGION", "Not A Region");
  CHECK_THROWS_WITH(s3::client_from_environment(io.get_executor()), Catch::StartsWith("AWS_REGION:"));
  env.clear("AWS_REGION").set("S3_ENDPOINT_URL", "ftp://nowhere");
  CHECK_THROWS_WITH(s3::client_from_environment(io.get_executor()), Catch::StartsWith("S3_ENDPOINT_URL:"));
}
