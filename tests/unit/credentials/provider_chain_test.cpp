// include/s3co/credentials/provider_chain.hpp: the chain's order, the shared
// files' profiles, and the errors of each step.
#include "s3co/credentials/provider_chain.hpp"

#include <catch2/catch.hpp>

#include "s3co/aws/endpoint.hpp"
#include "s3co/aws/region.hpp"
#include "support/clean_aws_environment.hpp"
#include "support/credential_servers.hpp"
#include "support/error_message.hpp"
#include "support/temp_file.hpp"

using namespace s3co;
using s3co::testing::scoped_environment;
using s3co::testing::temp_file;

namespace {

const std::string secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const std::string token = "FQoGZXIvYXdzEXAMPLETOKEN+/=";

credentials::found_credentials find() { return credentials::find_credentials_blocking(); }

// The message of the error `body` throws, checked to hold no secret.
template <typename Body>
std::string error_of(Body body) {
  return testing::message_of<s3co::error>(body, {secret, token, "K7MDENG"});
}

}  // namespace

TEST_CASE("the chain: explicit, then the environment", "[credentials][chain]") {
  scoped_environment env;
  testing::clean_aws_environment(env);
  env.set("AWS_ACCESS_KEY_ID", "AKIDENV").set("AWS_SECRET_ACCESS_KEY", secret).set("AWS_SESSION_TOKEN", token);
  const auto from_environment = find();
  CHECK(from_environment.source == "environment");
  CHECK(from_environment.value.access_key_id == "AKIDENV");
  CHECK(from_environment.value.session_token == token);
  CHECK_FALSE(from_environment.value.expiration.has_value());
  CHECK_FALSE(from_environment.refetch);

  const auto explicitly = credentials::find_credentials_blocking(
      {.explicit_credentials = aws::credentials{"AKIDSTATIC", secret, "", std::nullopt}});
  CHECK(explicitly.source == "explicit");
  CHECK(explicitly.value.access_key_id == "AKIDSTATIC");

  env.set("AWS_CREDENTIAL_EXPIRATION", testing::iso8601(std::chrono::system_clock::now() + std::chrono::hours(1)));
  CHECK(find().value.expiration.has_value());
  env.set("AWS_CREDENTIAL_EXPIRATION", "2020-01-01T00:00:00Z");
  CHECK_THAT(error_of([] { find(); }), Catch::StartsWith("environment: the credentials expired at 20200101T000000Z"));
  env.set("AWS_CREDENTIAL_EXPIRATION", "tomorrow");
  CHECK_THAT(error_of([] { find(); }), Catch::StartsWith("AWS_CREDENTIAL_EXPIRATION: 'tomorrow'"));

  env.clear("AWS_ACCESS_KEY_ID");
  CHECK_THAT(error_of([] { find(); }), Catch::Contains("AWS_ACCESS_KEY_ID"));
}

TEST_CASE("the shared credentials file, its profiles and its errors", "[credentials][chain][profile]") {
  scoped_environment env;
  testing::clean_aws_environment(env);
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
    const auto found = find();
    CHECK(found.value.access_key_id == "AKIDDEFAULT");
    CHECK(found.value.session_token.empty());
    CHECK_THAT(found.source, Catch::Contains("profile default") && Catch::Contains(file.path()));
  }
  SECTION("named profile, names case-insensitive, values trimmed") {
    env.set("AWS_PROFILE", "work");
    const auto found = find();
    CHECK(found.value.access_key_id == "AKIDWORK");
    CHECK(found.value.secret_access_key == secret);
    CHECK(found.value.session_token == token);
  }
  SECTION("a missing profile") {
    env.set("AWS_PROFILE", "nope");
    CHECK_THAT(error_of([] { find(); }), Catch::Contains("profile nope: is in neither"));
  }
  SECTION("a profile without a secret") {
    env.set("AWS_PROFILE", "broken");
    CHECK_THAT(error_of([] { find(); }), Catch::Contains("aws_secret_access_key"));
  }
}

TEST_CASE("a malformed or missing shared file is reported by line, never by content", "[credentials][chain][profile]") {
  scoped_environment env;
  testing::clean_aws_environment(env);
  const temp_file file("[default]\naws_access_key_id = AKID\n" + secret + "\n");
  env.set("AWS_SHARED_CREDENTIALS_FILE", file.path());
  CHECK_THAT(error_of([] { find(); }), Catch::Contains("line 3"));
  env.set("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials");
  CHECK_THAT(error_of([] { find(); }), Catch::Contains("cannot be read"));
  env.clear("AWS_SHARED_CREDENTIALS_FILE");
  CHECK_THAT(error_of([] { find(); }), Catch::Contains("none found") && Catch::Contains("AWS_EC2_METADATA_DISABLED"));
}

TEST_CASE("~/.aws/config: [profile name] sections, region, endpoints, merged under the credentials file",
          "[credentials][chain][profile]") {
  scoped_environment env;
  testing::clean_aws_environment(env);
  const temp_file config(
      "[default]\nregion = eu-north-1\n"
      "[profile dev]\n"
      "aws_access_key_id = AKIDCONFIG\naws_secret_access_key = " + secret + "\n"
      "region = ap-southeast-2\n"
      "services = local\n"
      "[dev]\nregion = ignored-without-the-profile-prefix\n"
      "[services local]\n"
      "s3 =\n  endpoint_url = http://127.0.0.1:7480\n"
      "sts =\n  endpoint_url = http://127.0.0.1:7481\n"
      "[profile global]\nendpoint_url = http://127.0.0.1:9999\n"
      "[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\n");
  const temp_file credentials_file("[dev]\naws_access_key_id = AKIDCREDENTIALS\n");
  env.set("AWS_CONFIG_FILE", config.path()).set("AWS_SHARED_CREDENTIALS_FILE", credentials_file.path());

  CHECK(aws::resolve_region() == "eu-north-1");
  env.set("AWS_PROFILE", "dev");
  const auto found = find();
  CHECK(found.value.access_key_id == "AKIDCREDENTIALS");  // the credentials file wins
  CHECK(found.value.secret_access_key == secret);          // the config file fills in
  CHECK(aws::resolve_region() == "ap-southeast-2");
  env.set("AWS_DEFAULT_REGION", "us-west-1");
  CHECK(aws::resolve_region() == "us-west-1");
  env.set("AWS_REGION", "ca-central-1");
  CHECK(aws::resolve_region() == "ca-central-1");

  CHECK(aws::resolve_s3_endpoint("ca-central-1").authority() == "127.0.0.1:7480");
  const auto shared = aws::load_shared_config();
  CHECK(aws::configured_endpoint_url(shared, "dev", "sts")->url == "http://127.0.0.1:7481");
  CHECK(aws::configured_endpoint_url(shared, "global", "sts")->url == "http://127.0.0.1:9999");
  CHECK_FALSE(aws::configured_endpoint_url(shared, "default", "s3").has_value());
  env.set("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:1234");
  CHECK(aws::resolve_s3_endpoint("ca-central-1").authority() == "127.0.0.1:1234");

  env.set("AWS_PROFILE", "sso");
  CHECK_THAT(error_of([] { find(); }), Catch::StartsWith("profile sso: is an SSO profile") &&
                                           Catch::Contains("does not support"));
}

TEST_CASE("profiles that assume roles: source_profile through AssumeRole, web_identity_token_file",
          "[credentials][chain][profile][sts]") {
  scoped_environment env;
  testing::clean_aws_environment(env);
  const std::string web_token = "eyJ.profile-web-identity.sig";
  testing::sts_server sts(web_token, "AKIASOURCEPROFILE001");
  const temp_file token_file(web_token);
  const temp_file config(
      "[profile base]\naws_access_key_id = AKIASOURCEPROFILE001\naws_secret_access_key = " + secret + "\n"
      "[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/deploy\nsource_profile = base\n"
      "role_session_name = deploy-session\nregion = eu-west-2\n"
      "[profile chained]\nrole_arn = arn:aws:iam::123456789012:role/second\nsource_profile = deploy\n"
      "[profile loop-a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = loop-b\n"
      "[profile loop-b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = loop-a\n"
      "[profile irsa]\nrole_arn = arn:aws:iam::123456789012:role/irsa\nweb_identity_token_file = " +
      token_file.path() + "\n"
      "[profile processed]\ncredential_process = echo '{\"Version\":1,\"AccessKeyId\":\"AKIDPROC\",\"SecretAccessKey\":\"s\"}'\n");
  env.set("AWS_CONFIG_FILE", config.path()).set("AWS_ENDPOINT_URL_STS", sts.url());

  env.set("AWS_PROFILE", "deploy");
  const auto assumed = find();
  CHECK(assumed.source == "assume role (profile deploy)");
  CHECK(assumed.value.access_key_id == sts.issued().access_key_id);
  CHECK(assumed.refetch);
  const auto request = testing::form_fields(sts.received().back().body);
  CHECK(request.at("RoleSessionName") == "deploy-session");
  CHECK_THAT(sts.received().back().header("Authorization"), Catch::Contains("/eu-west-2/sts/aws4_request"));

  // A role assumed with another role's credentials: the STS stand-in only
  // accepts the base key, so the second call shows which key signed it.
  env.set("AWS_PROFILE", "chained");
  CHECK_THAT(error_of([] { find(); }), Catch::Contains("assume role (profile chained)") &&
                                           Catch::Contains("HTTP 403 AccessDenied"));
  CHECK(sts.http().requests() == 3);  // deploy, then chained signed with deploy's credentials

  env.set("AWS_PROFILE", "loop-a");
  CHECK_THAT(error_of([] { find(); }), Catch::Contains("a loop?"));

  env.set("AWS_PROFILE", "irsa");
  const auto web = find();
  CHECK(web.source == "web identity (profile irsa)");
  CHECK(testing::form_fields(sts.received().back().body).at("WebIdentityToken") == web_token);

  env.set("AWS_PROFILE", "processed");
  const auto processed = find();
  CHECK(processed.source == "credential_process (profile processed)");
  CHECK(processed.value.access_key_id == "AKIDPROC");
}

TEST_CASE("the chain's order: environment, web identity, profile, container, instance metadata",
          "[credentials][chain]") {
  scoped_environment env;
  testing::clean_aws_environment(env);
  const std::string web_token = "eyJ.order.sig";
  testing::sts_server sts(web_token);
  testing::container_server container("/v1/credentials");
  testing::imds_server imds;
  const auto distinct = [](const std::string& key) {
    testing::issued_credentials issued;
    issued.access_key_id = key;
    return issued;
  };
  sts.set_issued(distinct("ASIAFROMSTS"));
  container.set_issued(distinct("ASIAFROMCONTAINER"));
  imds.set_issued(distinct("ASIAFROMIMDS"));
  const temp_file token_file(web_token);
  const temp_file credentials_file("[default]\naws_access_key_id = AKIDFROMFILE\naws_secret_access_key = " + secret + "\n");

  env.set("AWS_EC2_METADATA_DISABLED", "false").set("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url());
  CHECK(find().source == "instance metadata");
  CHECK(find().value.access_key_id == "ASIAFROMIMDS");
  CHECK(find().refetch);

  env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", container.url());
  CHECK(find().value.access_key_id == "ASIAFROMCONTAINER");
  CHECK(find().source == "container credentials");

  env.set("AWS_SHARED_CREDENTIALS_FILE", credentials_file.path());
  CHECK(find().value.access_key_id == "AKIDFROMFILE");

  env.set("AWS_WEB_IDENTITY_TOKEN_FILE", token_file.path())
      .set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/irsa")
      .set("AWS_ROLE_SESSION_NAME", "pod-7")
      .set("AWS_ENDPOINT_URL_STS", sts.url());
  const auto web = find();
  CHECK(web.value.access_key_id == "ASIAFROMSTS");
  CHECK(web.source == "web identity");
  CHECK(testing::form_fields(sts.received().back().body).at("RoleSessionName") == "pod-7");

  env.set("AWS_ACCESS_KEY_ID", "AKIDFROMENV").set("AWS_SECRET_ACCESS_KEY", secret);
  CHECK(find().value.access_key_id == "AKIDFROMENV");

  env.clear("AWS_ACCESS_KEY_ID").clear("AWS_SECRET_ACCESS_KEY").clear("AWS_ROLE_ARN");
  CHECK_THAT(error_of([] { find(); }), Catch::StartsWith("web identity: AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not"));
}

TEST_CASE("the chain: a configured provider that fails is an error, not a step to the next", "[credentials][chain]") {
  scoped_environment env;
  testing::clean_aws_environment(env);
  testing::container_server container("/v1/credentials");
  testing::imds_server imds;
  container.set_fault({.kind = testing::server_fault::status, .status = 403});
  env.set("AWS_EC2_METADATA_DISABLED", "false").set("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url());
  env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", container.url());
  CHECK_THAT(error_of([] { find(); }), Catch::StartsWith("container credentials: GET") && Catch::Contains("HTTP 403"));
  CHECK(imds.http().requests() == 0);

  // Instance metadata, the last resort, may be absent: then nothing was found, and the error says why.
  env.clear("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  imds.set_fault({.kind = testing::server_fault::status, .status = 404});
  CHECK_THAT(error_of([] { find(); }), Catch::StartsWith("credentials: none found") &&
                                           Catch::Contains("instance metadata: PUT /latest/api/token answered HTTP 404"));

  // Already-expired credentials are refused where they come from.
  imds.set_fault({});
  testing::issued_credentials stale;
  stale.expiration = std::chrono::system_clock::now() - std::chrono::minutes(1);
  imds.set_issued(stale);
  CHECK_THAT(error_of([] { find(); }), Catch::StartsWith("instance metadata: the credentials expired at"));
}
