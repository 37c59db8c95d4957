// include/s3co/aws/live_credentials.hpp, and the presigner that follows it.
#include "s3co/aws/live_credentials.hpp"

#include <catch2/catch.hpp>

#include "s3co/aws/presigner.hpp"

using namespace s3co::aws;
using namespace std::chrono_literals;

namespace {

const s3_endpoint endpoint = parse_endpoint_url("http://127.0.0.1:7480");

credentials temporary(const std::string& key, utc_time_point expiration) {
  return {key, "secret/for/" + key, "token+for/" + key, expiration};
}

}  // namespace

TEST_CASE("live credentials: each replace is a new version; signers follow it and derive their key again",
          "[live-credentials]") {
  const auto now = std::chrono::system_clock::now();
  auto live = std::make_shared<live_credentials>(temporary("ASIAONE", now + 1h), "test source");
  CHECK(live->version() == 1);
  CHECK(live->source() == "test source");
  presigner signer(live, "us-east-1", endpoint);
  const std::string before = signer.presign({.bucket = "bucket", .key = "k", .at = now});
  CHECK(before.find("X-Amz-Credential=ASIAONE%2F") != std::string::npos);
  CHECK(before.find("X-Amz-Security-Token=token%2Bfor%2FASIAONE") != std::string::npos);

  live->replace(temporary("ASIATWO", now + 2h));
  CHECK(live->version() == 2);
  const std::string after = signer.presign({.bucket = "bucket", .key = "k", .at = now});
  CHECK(after.find("X-Amz-Credential=ASIATWO%2F") != std::string::npos);
  CHECK(after.find("X-Amz-Security-Token=token%2Bfor%2FASIATWO") != std::string::npos);
  CHECK(signer.key_cache().derivations() == 1);

  // The same URL as a presigner made from those credentials directly.
  presigner fixed(temporary("ASIATWO", now + 2h), "us-east-1", endpoint);
  CHECK(fixed.presign({.bucket = "bucket", .key = "k", .at = now}) == after);

  CHECK_THROWS_AS(live->replace(credentials{"", "s", "", std::nullopt}), config_error);
  CHECK(live->version() == 2);
}

TEST_CASE("expired credentials never sign, and the error says why no refresh replaced them", "[live-credentials]") {
  const auto now = std::chrono::system_clock::now();
  auto live = std::make_shared<live_credentials>(temporary("ASIAOLD", now - 1s), "container credentials");
  presigner signer(live, "us-east-1", endpoint);
  live->record_refresh_failure("container credentials: GET http://127.0.0.1/c answered HTTP 503");
  try {
    signer.presign({.bucket = "bucket", .key = "k"});
    FAIL("signed with expired credentials");
  } catch (const credentials_expired& expired) {
    CHECK_THAT(expired.what(), Catch::StartsWith("credentials from container credentials expired at ") &&
                                   Catch::EndsWith("the last refresh failed: container credentials: GET "
                                                   "http://127.0.0.1/c answered HTTP 503"));
    CHECK(std::string(expired.what()).find("secret/for") == std::string::npos);
  }
  // A refresh that lands is picked up at the next URL.
  live->replace(temporary("ASIANEW", now + 1h));
  CHECK(live->last_refresh_failure().empty());
  CHECK(signer.presign({.bucket = "bucket", .key = "k"}).find("ASIANEW") != std::string::npos);

  // Fixed credentials with an expiration are refused as well.
  presigner fixed(temporary("ASIAFIXED", now - 1s), "us-east-1", endpoint);
  CHECK_THROWS_AS(fixed.presign({.bucket = "bucket", .key = "k"}), credentials_expired);
}
