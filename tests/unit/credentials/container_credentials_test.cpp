// include/s3co/credentials/container_credentials.hpp against a local
// container endpoint (support/credential_servers.hpp).
#include "s3co/credentials/container_credentials.hpp"

#include <catch2/catch.hpp>

#include "s3co/aws/config_error.hpp"
#include "support/clean_aws_environment.hpp"
#include "support/credential_servers.hpp"
#include "support/error_message.hpp"
#include "support/run_async.hpp"
#include "support/temp_file.hpp"

using namespace s3co;
using namespace std::chrono_literals;
using s3co::testing::run_async;

namespace {

aws::credentials fetch_from(credentials::container_endpoint endpoint) {
  boost::asio::io_context io;
  return run_async(io, credentials::fetch_container_credentials(io.get_executor(), std::move(endpoint)));
}

credentials::container_endpoint configured_endpoint() {
  auto endpoint = credentials::container_endpoint_from_environment();
  REQUIRE(endpoint.has_value());
  return *endpoint;
}

template <typename Body>
std::string provider_error_of(Body body) {
  const std::string message = testing::message_of<credentials::provider_error>(body);
  CHECK_THAT(message, Catch::StartsWith("container credentials: "));
  return message;
}

}  // namespace

TEST_CASE("container credentials: a full URI on loopback with a token", "[credentials][container]") {
  testing::scoped_environment env;
  testing::clean_aws_environment(env);
  testing::container_server server("/v1/credentials", "pod-identity-token-1");
  env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url()).set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "pod-identity-token-1");

  CHECK(testing::same_as_issued(fetch_from(configured_endpoint()), server.issued()));
  REQUIRE(server.http().received().size() == 1);
  CHECK(server.http().received()[0].header("Authorization") == "pod-identity-token-1");
}

TEST_CASE("container credentials: the token file is read again at every fetch", "[credentials][container]") {
  testing::scoped_environment env;
  testing::clean_aws_environment(env);
  testing::container_server server("/v1/credentials", "token-one");
  const testing::temp_file token_file("token-one\n");
  env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url())
      .set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file.path())
      .set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored-when-a-file-is-given");
  const auto endpoint = configured_endpoint();
  CHECK_NOTHROW(fetch_from(endpoint));

  // Kubernetes rotates the file: the next fetch sends the new token.
  std::ofstream(token_file.path(), std::ios::trunc) << "token-two";
  server.expect_token("token-two");
  CHECK_NOTHROW(fetch_from(endpoint));
  REQUIRE(server.http().received().size() == 2);
  CHECK(server.http().received()[1].header("Authorization") == "token-two");
}

TEST_CASE("container credentials: plain http only to the hosts the SDKs allow", "[credentials][container]") {
  testing::scoped_environment env;
  testing::clean_aws_environment(env);
  env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://10.0.0.1/creds");
  try {
    credentials::container_endpoint_from_environment();
    FAIL("expected a config_error");
  } catch (const aws::config_error& error) {
    CHECK_THAT(error.what(), Catch::StartsWith("container credentials: AWS_CONTAINER_CREDENTIALS_FULL_URI host "
                                               "10.0.0.1 is not allowed"));
  }
  for (const char* allowed : {"http://127.0.0.1:8080/c", "http://127.1.2.3/c", "http://localhost/c", "http://[::1]/c",
                              "http://169.254.170.2/c", "http://169.254.170.23/v1/credentials",
                              "http://[fd00:ec2::23]/v1/credentials", "https://creds.example.com/c"}) {
    INFO(allowed);
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", allowed);
    CHECK_NOTHROW(configured_endpoint());
  }
  env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.3/c");
  CHECK_THROWS_AS(credentials::container_endpoint_from_environment(), aws::config_error);

  // The relative URI goes to the ECS host, and wins over the full one.
  env.set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc");
  const auto relative = configured_endpoint();
  CHECK(relative.url.endpoint.host == "169.254.170.2");
  CHECK(relative.url.target == "/v2/credentials/abc");

  env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "line\r\nX-Injected: 1");
  CHECK_THROWS_WITH(credentials::container_endpoint_from_environment(),
                    Catch::Contains("AWS_CONTAINER_AUTHORIZATION_TOKEN") && !Catch::Contains("X-Injected"));
}

TEST_CASE("container credentials: errors name the provider and never the secret", "[credentials][container]") {
  testing::scoped_environment env;
  testing::clean_aws_environment(env);
  testing::container_server server("/v1/credentials", "right-token");
  env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url());
  auto endpoint = configured_endpoint();
  endpoint.limits = {.timeout = 300ms, .attempts = 2, .backoff = 5ms};

  SECTION("401 for a wrong token") {
    endpoint.token = "wrong-token";
    CHECK_THAT(provider_error_of([&] { fetch_from(endpoint); }), Catch::Contains("HTTP 401"));
  }
  SECTION("403") {
    server.set_fault({.kind = testing::server_fault::status, .status = 403});
    CHECK_THAT(provider_error_of([&] { fetch_from(endpoint); }), Catch::Contains("HTTP 403"));
  }
  SECTION("a malformed answer") {
    endpoint.token = "right-token";
    server.set_fault({.kind = testing::server_fault::malformed, .body = "{\"AccessKeyId\":\"AKID\","});
    CHECK_THAT(provider_error_of([&] { fetch_from(endpoint); }), Catch::Contains("not a JSON object"));
    server.set_fault({.kind = testing::server_fault::malformed,
                      .body = "{\"AccessKeyId\":\"AKID\",\"Token\":\"t\",\"Expiration\":\"2026-12-04T22:00:00Z\"}"});
    CHECK_THAT(provider_error_of([&] { fetch_from(endpoint); }), Catch::Contains("no SecretAccessKey"));
    server.set_fault({.kind = testing::server_fault::malformed,
                      .body = "{\"AccessKeyId\":\"AKID\",\"SecretAccessKey\":\"s3cr3t-value\",\"Expiration\":\"soon\"}"});
    const std::string message = provider_error_of([&] { fetch_from(endpoint); });
    CHECK_THAT(message, Catch::Contains("Expiration"));
    CHECK(message.find("s3cr3t-value") == std::string::npos);
  }
  SECTION("a timeout") {
    server.set_fault({.kind = testing::server_fault::stall});
    const auto started = std::chrono::steady_clock::now();
    CHECK_THAT(provider_error_of([&] { fetch_from(endpoint); }), Catch::Contains("got no answer"));
    CHECK(std::chrono::steady_clock::now() - started < 5s);
    CHECK(server.http().requests() == 2);  // one retry
  }
}
