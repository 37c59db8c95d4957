// include/s3co/credentials/sts.hpp against a local STS query API
// (support/credential_servers.hpp).
#include "s3co/credentials/sts.hpp"
#include "s3co/credentials/provider_chain.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <optional>

#include "support/clean_aws_environment.hpp"
#include "support/credential_servers.hpp"
#include "support/error_message.hpp"
#include "support/run_async.hpp"
#include "support/temp_file.hpp"

using namespace s3co;
using namespace std::chrono_literals;
using s3co::testing::run_async;

namespace {

const std::string web_token = "eyJhbGciOiJSUzI1NiJ9.test-web-identity-token.sig";

credentials::sts_endpoint endpoint_of(const testing::sts_server& server) {
  return {credentials::parse_url(server.url(), "test STS"), "us-west-2"};
}

aws::credentials assume_with_web_identity(const testing::sts_server& server, credentials::web_identity_settings settings,
                                          std::optional<credentials::fetch_limits> limits = std::nullopt) {
  boost::asio::io_context io;
  credentials::sts_endpoint endpoint = endpoint_of(server);
  if (limits) endpoint.limits = *limits;
  return run_async(io, credentials::assume_role_with_web_identity(io.get_executor(), endpoint, settings));
}

std::string provider_error_of(const std::function<void()>& body) {
  return testing::message_of<credentials::provider_error>(body, {web_token});
}

}  // namespace

TEST_CASE("web identity: AssumeRoleWithWebIdentity over the query API, the token file read at every call",
          "[credentials][sts]") {
  testing::sts_server server(web_token);
  const testing::temp_file token_file(web_token + "\n");
  const credentials::web_identity_settings settings{.role_arn = "arn:aws:iam::123456789012:role/s3co-irsa",
                                                    .session_name = "pod-a",
                                                    .token_file = token_file.path()};
  CHECK(testing::same_as_issued(assume_with_web_identity(server, settings), server.issued()));

  const auto sent = server.received();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].method == "POST");
  CHECK(sent[0].target == "/");
  CHECK(sent[0].header("Content-Type") == "application/x-www-form-urlencoded; charset=utf-8");
  CHECK(sent[0].header("Authorization").empty());  // the token is the proof
  const auto fields = testing::form_fields(sent[0].body);
  CHECK(fields.at("Action") == "AssumeRoleWithWebIdentity");
  CHECK(fields.at("RoleArn") == "arn:aws:iam::123456789012:role/s3co-irsa");
  CHECK(fields.at("RoleSessionName") == "pod-a");
  CHECK(fields.at("WebIdentityToken") == web_token);

  // The kubelet rotates the token: the next call reads the new one.
  std::ofstream(token_file.path(), std::ios::trunc) << "rotated-token";
  server.expect_web_identity_token("rotated-token");
  CHECK_NOTHROW(assume_with_web_identity(server, settings));
  CHECK(testing::form_fields(server.received().back().body).at("WebIdentityToken") == "rotated-token");
}

TEST_CASE("web identity: STS errors, malformed answers and unreadable token files", "[credentials][sts]") {
  testing::sts_server server(web_token);
  const testing::temp_file token_file(web_token);
  credentials::web_identity_settings settings{.role_arn = "arn:aws:iam::123456789012:role/r",
                                              .token_file = token_file.path()};

  SECTION("a token STS refuses: its code and message, not the token") {
    server.expect_web_identity_token("another-token");
    const std::string message = provider_error_of([&] { assume_with_web_identity(server, settings); });
    CHECK_THAT(message, Catch::StartsWith("web identity: AssumeRoleWithWebIdentity") &&
                            Catch::Contains("HTTP 400 InvalidIdentityToken"));
    // A default session name was sent.
    CHECK_THAT(testing::form_fields(server.received().back().body).at("RoleSessionName"),
               Catch::StartsWith("s3co-session-"));
  }
  SECTION("403") {
    server.set_fault({.kind = testing::server_fault::status, .status = 403,
                      .body = "<ErrorResponse><Error><Code>AccessDenied</Code><Message>Not authorized</Message>"
                              "</Error></ErrorResponse>"});
    CHECK_THAT(provider_error_of([&] { assume_with_web_identity(server, settings); }),
               Catch::Contains("HTTP 403 AccessDenied: Not authorized"));
  }
  SECTION("a malformed answer") {
    server.set_fault({.kind = testing::server_fault::malformed, .body = "<AssumeRoleWithWebIdentityResponse/>"});
    CHECK_THAT(provider_error_of([&] { assume_with_web_identity(server, settings); }), Catch::Contains("no Assume"));
    server.set_fault({.kind = testing::server_fault::malformed, .body = "not xml <"});
    CHECK_THAT(provider_error_of([&] { assume_with_web_identity(server, settings); }), Catch::Contains("not XML"));
  }
  SECTION("a timeout: each attempt bounded, one retry, then an error naming the provider") {
    server.set_fault({.kind = testing::server_fault::stall});
    const auto started = std::chrono::steady_clock::now();
    const credentials::fetch_limits quick{.timeout = 300ms, .attempts = 2, .backoff = 5ms};
    CHECK_THAT(provider_error_of([&] { assume_with_web_identity(server, settings, quick); }),
               Catch::StartsWith("web identity:") && Catch::Contains("got no answer"));
    CHECK(std::chrono::steady_clock::now() - started < 5s);
    CHECK(server.http().requests() == 2);
  }
  SECTION("credentials that have already expired are refused by the chain") {
    testing::scoped_environment env;
    testing::clean_aws_environment(env);
    env.set("AWS_WEB_IDENTITY_TOKEN_FILE", token_file.path())
        .set("AWS_ROLE_ARN", settings.role_arn)
        .set("AWS_ENDPOINT_URL_STS", server.url())
        .set("AWS_REGION", "us-west-2");
    testing::issued_credentials stale;
    stale.expiration = std::chrono::system_clock::now() - 1h;
    server.set_issued(stale);
    CHECK_THAT(provider_error_of([] { credentials::find_credentials_blocking(); }),
               Catch::StartsWith("web identity: the credentials expired at"));
  }
  SECTION("a missing token file") {
    settings.token_file = "/nonexistent/token";
    CHECK_THAT(provider_error_of([&] { assume_with_web_identity(server, settings); }),
               Catch::Contains("/nonexistent/token cannot be read"));
    CHECK(server.http().requests() == 0);
  }
}

TEST_CASE("assume role: AssumeRole signed for sts with the source credentials", "[credentials][sts]") {
  testing::sts_server server(web_token, "AKIASOURCEPROFILE001");
  const credentials::assume_role_settings settings{.role_arn = "arn:aws:iam::123456789012:role/deploy",
                                                   .session_name = "laptop",
                                                   .external_id = "ext-1",
                                                   .duration_seconds = 900};
  const aws::credentials source{"AKIASOURCEPROFILE001", "source/secret/key0000000000000000000000", "", std::nullopt};
  boost::asio::io_context io;
  const aws::credentials creds =
      run_async(io, credentials::assume_role(io.get_executor(), endpoint_of(server), settings, source));
  CHECK(creds.access_key_id == server.issued().access_key_id);
  const auto sent = server.received().back();
  CHECK_THAT(sent.header("Authorization"),
             Catch::StartsWith("AWS4-HMAC-SHA256 Credential=AKIASOURCEPROFILE001/") &&
                 Catch::Contains("/us-west-2/sts/aws4_request") && Catch::Contains("content-type"));
  const auto fields = testing::form_fields(sent.body);
  CHECK(fields.at("Action") == "AssumeRole");
  CHECK(fields.at("ExternalId") == "ext-1");
  CHECK(fields.at("DurationSeconds") == "900");

  const aws::credentials stranger{"AKIAOTHER00000000001", "other/secret", "", std::nullopt};
  CHECK_THROWS_WITH(run_async(io, credentials::assume_role(io.get_executor(), endpoint_of(server), settings, stranger)),
                    Catch::Contains("assume role: AssumeRole") && Catch::Contains("HTTP 403 AccessDenied"));
}

TEST_CASE("the STS endpoint: regional, or as configured", "[credentials][sts]") {
  testing::scoped_environment env;
  testing::clean_aws_environment(env);
  const aws::shared_config none;
  CHECK(credentials::resolve_sts_endpoint(none, "default", "eu-west-3").url.endpoint.host == "sts.eu-west-3.amazonaws.com");
  env.set("AWS_ENDPOINT_URL", "http://127.0.0.1:9000");
  CHECK(credentials::resolve_sts_endpoint(none, "default", "eu-west-3").url.endpoint.authority() == "127.0.0.1:9000");
  env.set("AWS_ENDPOINT_URL_STS", "https://sts.internal.example:8443");
  const auto overridden = credentials::resolve_sts_endpoint(none, "default", "eu-west-3");
  CHECK(overridden.url.endpoint.authority() == "sts.internal.example:8443");
  CHECK(overridden.region == "eu-west-3");
}
