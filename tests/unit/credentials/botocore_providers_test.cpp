// The local credential stand-ins (support/credential_servers.hpp) are
// faithful: botocore's own providers, pointed at them, get the same
// credentials as s3co's do. So each server speaks its protocol as AWS's SDK
// expects, not merely as s3co does.
#include <catch2/catch.hpp>

#include "s3co/credentials/container_credentials.hpp"
#include "s3co/credentials/instance_metadata.hpp"
#include "s3co/credentials/sts.hpp"
#include "support/clean_aws_environment.hpp"
#include "support/credential_servers.hpp"
#include "support/run_async.hpp"
#include "support/run_command.hpp"
#include "support/temp_file.hpp"

using namespace s3co;
using namespace std::chrono_literals;
using s3co::testing::run_async;
using s3co::testing::shell_quote;

namespace {

struct botocore_answer {
  std::string access_key, secret_key, token, expiry;
};

botocore_answer run_botocore(const std::string& arguments) {
  const std::string out = testing::run_command(std::string(S3CO_PYTHON) + " " + S3CO_SOURCE_DIR +
                                              "/tests/tools/botocore_credentials.py " + arguments);
  const auto field = [&](const std::string& name) {
    const std::string marker = "\"" + name + "\": \"";
    const auto start = out.find(marker);
    REQUIRE(start != std::string::npos);
    const auto value_start = start + marker.size();
    return out.substr(value_start, out.find('"', value_start) - value_start);
  };
  return {field("access_key"), field("secret_key"), field("token"), field("expiry")};
}

void check_same(const botocore_answer& botocore, const aws::credentials& ours, const testing::issued_credentials& issued) {
  CHECK(botocore.access_key == issued.access_key_id);
  CHECK(botocore.secret_key == issued.secret_access_key);
  CHECK(botocore.token == issued.session_token);
  CHECK(botocore.expiry == testing::iso8601(issued.expiration));
  CHECK(ours.access_key_id == botocore.access_key);
  CHECK(ours.secret_access_key == botocore.secret_key);
  CHECK(ours.session_token == botocore.token);
  REQUIRE(ours.expiration.has_value());
  CHECK(testing::iso8601(*ours.expiration) == botocore.expiry);
}

testing::issued_credentials distinct_credentials(const std::string& stem) {
  testing::issued_credentials issued;
  issued.access_key_id = "ASIA" + stem + "0000000001";
  issued.secret_access_key = stem + "/secret+key/0000000000000000000000";
  issued.session_token = stem + "+session/token==";
  issued.expiration = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now() + 2h);
  return issued;
}

}  // namespace

TEST_CASE("botocore's InstanceMetadataProvider gets from the IMDSv2 stand-in what s3co gets", "[credentials][botocore]") {
  testing::imds_server server;
  server.set_issued(distinct_credentials("IMDS"));
  const botocore_answer botocore = run_botocore("imds " + shell_quote(server.url() + "/"));
  // botocore asked for a token first, and sent it.
  const auto received = server.http().received();
  REQUIRE(received.size() >= 3);
  CHECK(received[0].method == "PUT");
  CHECK(server.rejected_tokens() == 0);

  credentials::instance_metadata_client client({.endpoint = server.url()});
  boost::asio::io_context io;
  check_same(botocore, run_async(io, client.fetch_credentials(io.get_executor())), server.issued());
}

TEST_CASE("botocore's ContainerProvider gets from the container stand-in what s3co gets", "[credentials][botocore]") {
  testing::scoped_environment env;
  testing::clean_aws_environment(env);
  testing::container_server server("/v1/credentials", "eks-pod-identity-token");
  server.set_issued(distinct_credentials("CONTAINER"));
  const botocore_answer botocore = run_botocore("container " + shell_quote(server.url()) + " eks-pod-identity-token");

  env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url()).set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "eks-pod-identity-token");
  boost::asio::io_context io;
  check_same(botocore,
             run_async(io, credentials::fetch_container_credentials(
                               io.get_executor(), *credentials::container_endpoint_from_environment())),
             server.issued());
}

TEST_CASE("botocore's AssumeRoleWithWebIdentity gets from the STS stand-in what s3co gets", "[credentials][botocore]") {
  const std::string token = "eyJhbGciOiJSUzI1NiJ9.botocore-check.sig";
  testing::sts_server server(token);
  server.set_issued(distinct_credentials("STS"));
  const testing::temp_file token_file(token);
  const std::string role = "arn:aws:iam::123456789012:role/irsa";
  const botocore_answer botocore =
      run_botocore("web-identity " + shell_quote(server.url()) + " " + shell_quote(role) + " botocore-session " +
                   shell_quote(token_file.path()));
  const auto botocore_request = testing::form_fields(server.received().back().body);
  CHECK(botocore_request.at("Action") == "AssumeRoleWithWebIdentity");

  boost::asio::io_context io;
  const credentials::sts_endpoint endpoint{credentials::parse_url(server.url(), "test STS"), "us-west-2"};
  const credentials::web_identity_settings settings{.role_arn = role, .session_name = "botocore-session",
                                                    .token_file = token_file.path()};
  check_same(botocore, run_async(io, credentials::assume_role_with_web_identity(io.get_executor(), endpoint, settings)),
             server.issued());
  // Both sent the same form fields.
  CHECK(testing::form_fields(server.received().back().body) == botocore_request);
}
