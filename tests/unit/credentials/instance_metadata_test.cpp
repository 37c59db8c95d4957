// include/s3co/credentials/instance_metadata.hpp against a local IMDSv2
// (support/credential_servers.hpp).
#include "s3co/credentials/instance_metadata.hpp"
#include "s3co/credentials/region.hpp"

#include <catch2/catch.hpp>

#include <thread>

#include "support/clean_aws_environment.hpp"
#include "support/credential_servers.hpp"
#include "support/error_message.hpp"
#include "support/run_async.hpp"

using namespace s3co;
using namespace std::chrono_literals;
using s3co::testing::run_async;

namespace {

credentials::instance_metadata_options options_for(const testing::imds_server& server) {
  return {.endpoint = server.url(), .token_ttl = std::chrono::seconds(21600), .timeout = 300ms, .attempts = 2};
}

aws::credentials fetch_credentials(credentials::instance_metadata_client& client) {
  boost::asio::io_context io;
  return run_async(io, client.fetch_credentials(io.get_executor()));
}

std::string failure_of(credentials::instance_metadata_client& client) {
  const std::string message = testing::message_of<credentials::provider_error>([&] { fetch_credentials(client); });
  CHECK_THAT(message, Catch::StartsWith("instance metadata: "));
  return message;
}

}  // namespace

TEST_CASE("instance metadata: token, role, credentials; the token is reused within its TTL",
          "[credentials][imds]") {
  testing::imds_server server;
  credentials::instance_metadata_client client(options_for(server));
  CHECK(testing::same_as_issued(fetch_credentials(client), server.issued()));

  const auto received = server.http().received();
  REQUIRE(received.size() == 3);
  CHECK(received[0].method == "PUT");
  CHECK(received[0].target == "/latest/api/token");
  CHECK(received[0].header("X-aws-ec2-metadata-token-ttl-seconds") == "21600");
  CHECK(received[1].target == "/latest/meta-data/iam/security-credentials/");
  CHECK(received[2].target == "/latest/meta-data/iam/security-credentials/s3co-test-role");
  CHECK(received[2].header("X-aws-ec2-metadata-token") == "imds-token-1");

  fetch_credentials(client);
  CHECK(server.tokens_issued() == 1);
  CHECK(client.tokens_fetched() == 1);

  boost::asio::io_context io;
  CHECK(run_async(io, client.fetch_region(io.get_executor())) == "eu-central-1");
}

TEST_CASE("instance metadata: a token whose TTL runs out is replaced", "[credentials][imds]") {
  testing::imds_server server;
  auto options = options_for(server);
  options.token_ttl = 1s;
  credentials::instance_metadata_client client(options);
  fetch_credentials(client);
  CHECK(server.tokens_issued() == 1);
  std::this_thread::sleep_for(1200ms);
  fetch_credentials(client);
  CHECK(server.tokens_issued() == 2);
  CHECK(server.rejected_tokens() == 0);  // renewed before use, not after a refusal

  // A token the server stopped honouring early (401): a new one, and the request again.
  options.token_ttl = 21600s;
  credentials::instance_metadata_client long_lived(options);
  fetch_credentials(long_lived);
  server.revoke_tokens();
  CHECK_NOTHROW(fetch_credentials(long_lived));
  CHECK(server.rejected_tokens() == 1);
  CHECK(long_lived.tokens_fetched() == 2);
}

TEST_CASE("instance metadata: no IMDSv1 unless asked", "[credentials][imds]") {
  testing::imds_server server;
  server.refuse_tokens(403);
  server.allow_imdsv1(true);
  credentials::instance_metadata_client v2_only(options_for(server));
  CHECK_THAT(failure_of(v2_only), Catch::Contains("HTTP 403") && Catch::Contains("allow_imdsv1"));
  CHECK(server.http().requests() == 1);  // no GET without a token

  auto options = options_for(server);
  options.allow_imdsv1 = true;
  credentials::instance_metadata_client with_v1(options);
  CHECK(fetch_credentials(with_v1).access_key_id == server.issued().access_key_id);
  CHECK(server.http().received().back().header("X-aws-ec2-metadata-token").empty());
}

TEST_CASE("instance metadata: failures name the provider and never the secret", "[credentials][imds]") {
  testing::imds_server server;
  credentials::instance_metadata_client client(options_for(server));

  SECTION("401 and 403 on the credentials") {
    server.set_fault({.kind = testing::server_fault::status, .status = 403});
    CHECK_THAT(failure_of(client), Catch::Contains("HTTP 403"));
  }
  SECTION("a malformed answer") {
    server.set_fault({.kind = testing::server_fault::malformed, .body = "<html>captive portal</html>"});
    const std::string message = failure_of(client);
    CHECK_THAT(message, Catch::Contains("not a JSON object") || Catch::Contains("not a path segment"));
  }
  SECTION("a timeout: 300 ms, one retry") {
    server.set_fault({.kind = testing::server_fault::stall});
    const auto started = std::chrono::steady_clock::now();
    CHECK_THAT(failure_of(client), Catch::Contains("got no answer"));
    CHECK(std::chrono::steady_clock::now() - started < 3s);
    CHECK(server.http().requests() == 2);
  }
  SECTION("an instance without a role") {
    testing::imds_server no_role("");
    credentials::instance_metadata_client roleless(options_for(no_role));
    CHECK_THAT(failure_of(roleless), Catch::Contains("no IAM role"));
  }
}

TEST_CASE("instance metadata: the environment disables it or points it elsewhere", "[credentials][imds]") {
  testing::scoped_environment env;
  testing::clean_aws_environment(env);
  CHECK(credentials::instance_metadata_disabled());
  env.set("AWS_EC2_METADATA_DISABLED", "TRUE");
  CHECK(credentials::instance_metadata_disabled());
  env.set("AWS_EC2_METADATA_DISABLED", "false");
  CHECK_FALSE(credentials::instance_metadata_disabled());

  CHECK(credentials::instance_metadata_client().endpoint().endpoint.host == "169.254.169.254");
  env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6");
  CHECK(credentials::instance_metadata_client().endpoint().endpoint.host == "[fd00:ec2::254]");
  testing::imds_server server;
  env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", server.url() + "/");
  credentials::instance_metadata_client pointed;
  CHECK(fetch_credentials(pointed).access_key_id == server.issued().access_key_id);
}

TEST_CASE("region: the environment and the profile first, then the instance metadata, then us-east-1",
          "[credentials][imds][region]") {
  testing::scoped_environment env;
  testing::clean_aws_environment(env);
  testing::imds_server server("s3co-test-role", "ap-northeast-3");
  const credentials::instance_metadata_options quick{.endpoint = server.url(), .timeout = 300ms, .attempts = 2};
  CHECK(credentials::resolve_region_blocking(quick) == "us-east-1");  // disabled by the clean environment
  CHECK(server.http().requests() == 0);

  env.set("AWS_EC2_METADATA_DISABLED", "false");
  CHECK(credentials::resolve_region_blocking(quick) == "ap-northeast-3");
  server.set_fault({.kind = testing::server_fault::stall});
  CHECK(credentials::resolve_region_blocking(quick) == "us-east-1");  // no answer: skipped
  env.set("AWS_DEFAULT_REGION", "sa-east-1");
  CHECK(credentials::resolve_region_blocking(quick) == "sa-east-1");
}
