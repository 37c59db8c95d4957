// include/s3co/credentials/refreshing_credentials.hpp: when refreshes
// happen, what signers see across one, a refresh that fails, and signers on
// two threads (this test also runs under TSan: scripts/test --sanitize).
#include "s3co/credentials/refreshing_credentials.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "s3co/aws/presigner.hpp"
#include "s3co/aws/uri_encoding.hpp"
#include "support/clean_aws_environment.hpp"
#include "support/credential_servers.hpp"

using namespace s3co;
using namespace std::chrono_literals;

namespace {

const aws::s3_endpoint endpoint = aws::parse_endpoint_url("http://127.0.0.1:7480");

// The value of `name` in a presigned URL's query (still URI-encoded).
std::string query_value(const std::string& url, const std::string& name) {
  const auto start = url.find("&" + name + "=");
  if (start == std::string::npos) return {};
  const auto value_start = start + name.size() + 2;
  return url.substr(value_start, url.find('&', value_start) - value_start);
}

// Credentials of generation `n`, each answer valid for `lifetime` from when
// it is given (Expiration has whole seconds, so up to a second less).
testing::issued_credentials generation(int n, std::chrono::milliseconds lifetime) {
  testing::issued_credentials issued;
  issued.access_key_id = "ASIAGENERATION" + std::to_string(1000 + n);
  issued.secret_access_key = "secret/of/generation/" + std::to_string(n);
  issued.session_token = "token+of/generation=" + std::to_string(n);
  issued.lives_for = lifetime;
  return issued;
}

// Live credentials from `server`, the only provider the environment names.
std::shared_ptr<aws::live_credentials> live_from(const testing::container_server& server,
                                                 testing::scoped_environment& env) {
  testing::clean_aws_environment(env);
  env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url());
  return credentials::make_live_credentials(credentials::find_credentials_blocking());
}

}  // namespace

TEST_CASE("refresh timing: about 5 minutes ahead with jitter, half-way for short lives", "[credentials][refresh]") {
  const credentials::refresh_options options;
  const auto now = std::chrono::system_clock::now();
  CHECK(credentials::time_until_refresh(now, now + 1h, options, 0.0) == 55min);
  CHECK(credentials::time_until_refresh(now, now + 1h, options, 0.999) > 54min);
  CHECK(credentials::time_until_refresh(now, now + 1h, options, 0.999) < 55min);
  CHECK(credentials::time_until_refresh(now, now + 3s, options, 0.0) == 1500ms);
  CHECK(credentials::time_until_refresh(now, now + 3s, options, 0.999) >= 1200ms);
  CHECK(credentials::time_until_refresh(now, now - 1s, options, 0.5) == 0ms);
  // Retries back off, from a tenth of the time left, capped.
  CHECK(credentials::retry_delay(now, now + 3s, 1, options, 0.999) <= 300ms);
  CHECK(credentials::retry_delay(now, now + 3s, 2, options, 0.999) > credentials::retry_delay(now, now + 3s, 1, options, 0.999));
  CHECK(credentials::retry_delay(now, now + 1h, 30, options, 0.999) <= options.max_retry);
  CHECK(credentials::retry_delay(now, now - 1s, 30, options, 0.999) <= 2s);
}

TEST_CASE("presigning across a refresh: X-Amz-Credential and X-Amz-Security-Token change before the old ones expire",
          "[credentials][refresh]") {
  testing::container_server server("/v1/credentials");
  const auto lifetime = 3s;
  server.set_issued(generation(0, lifetime));
  const auto issued_at = std::chrono::system_clock::now();
  testing::scoped_environment env;
  auto live = live_from(server, env);
  const testing::issued_credentials first = server.issued();
  const aws::utc_time_point first_expiration = *live->current()->expiration;
  server.set_issued(generation(1, lifetime));  // what the refresh will get
  const testing::issued_credentials second = server.issued();

  aws::presigner signer(live, "us-east-1", endpoint);
  std::optional<std::chrono::milliseconds> changed_after;
  std::string previous_credential;
  while (std::chrono::system_clock::now() < first_expiration + 500ms) {
    const std::string url = signer.presign({.bucket = "bucket", .key = "k"});
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now() - issued_at);
    const std::string credential = query_value(url, "X-Amz-Credential");
    const std::string token = query_value(url, "X-Amz-Security-Token");
    if (credential.starts_with(first.access_key_id)) {
      CHECK(token == aws::uri_encoded(first.session_token));
      // Never signed with expired credentials.
      REQUIRE(std::chrono::system_clock::now() < first_expiration);
    } else {
      REQUIRE(credential.starts_with(second.access_key_id));
      CHECK(token == aws::uri_encoded(second.session_token));
      if (!changed_after) changed_after = elapsed;
    }
    std::this_thread::sleep_for(10ms);
  }
  REQUIRE(changed_after.has_value());
  // Half-way through the remaining 2..3 s, less up to 20 % of that lead: 0.8 .. 1.5 s, plus the fetch.
  CHECK(*changed_after >= 700ms);
  CHECK(*changed_after < first_expiration - issued_at);
  CHECK(server.http().requests() >= 2);
  CHECK(signer.key_cache().derivations() == 1);  // derived again for the new credentials, once
}

TEST_CASE("a failed refresh keeps the old credentials while valid, then signers fail with the reason, until a retry "
          "succeeds",
          "[credentials][refresh]") {
  testing::container_server server("/v1/credentials");
  server.set_issued(generation(0, 3s));
  testing::scoped_environment env;
  auto live = live_from(server, env);
  const testing::issued_credentials first = server.issued();
  const aws::utc_time_point first_expiration = *live->current()->expiration;
  server.set_fault({.kind = testing::server_fault::status, .status = 500});
  aws::presigner signer(live, "us-east-1", endpoint);

  // A refresh is tried half-way (0.8 .. 1.5 s) and fails.
  const auto give_up_failing = std::chrono::steady_clock::now() + 3s;
  while (live->last_refresh_failure().empty() && std::chrono::steady_clock::now() < give_up_failing) {
    std::this_thread::sleep_for(20ms);
  }
  REQUIRE(std::chrono::system_clock::now() < first_expiration);
  CHECK_THAT(live->last_refresh_failure(), Catch::Contains("HTTP 500"));
  CHECK(query_value(signer.presign({.bucket = "bucket", .key = "k"}), "X-Amz-Credential").starts_with(first.access_key_id));

  std::this_thread::sleep_until(first_expiration + 100ms);
  try {
    signer.presign({.bucket = "bucket", .key = "k"});
    FAIL("signed with expired credentials");
  } catch (const aws::credentials_expired& expired) {
    const std::string message = expired.what();
    CHECK_THAT(message, Catch::StartsWith("credentials from container credentials expired at") &&
                            Catch::Contains("the last refresh failed: container credentials: GET") &&
                            Catch::Contains("HTTP 500"));
    CHECK(message.find(first.secret_access_key) == std::string::npos);
    CHECK(message.find(first.session_token) == std::string::npos);
  }

  server.set_issued(generation(2, 1h));
  server.set_fault({});
  const auto give_up = std::chrono::steady_clock::now() + 6s;
  while (live->version() == 1 && std::chrono::steady_clock::now() < give_up) std::this_thread::sleep_for(20ms);
  REQUIRE(live->version() == 2);
  CHECK(query_value(signer.presign({.bucket = "bucket", .key = "k"}), "X-Amz-Credential").starts_with("ASIAGENERATION1002"));
}

TEST_CASE("presigners on two threads see every refresh", "[credentials][refresh][threads]") {
  testing::container_server server("/v1/credentials");
  server.set_issued(generation(0, 3s));
  testing::scoped_environment env;
  auto live = live_from(server, env);

  // A new generation every 100 ms: each refresh gets new credentials.
  std::atomic<bool> done{false};
  std::thread issuer([&] {
    for (int n = 1; !done; ++n) {
      server.set_issued(generation(n, 3s));
      std::this_thread::sleep_for(100ms);
    }
  });
  std::atomic<int> failures{0};
  std::mutex first_failure_mutex;
  std::string first_failure;
  const auto presign_for = [&](std::set<std::string>& seen) {
    aws::presigner signer(live, "us-east-1", endpoint);
    const auto until = std::chrono::steady_clock::now() + 4s;
    while (std::chrono::steady_clock::now() < until) {
      try {
        seen.insert(query_value(signer.presign({.bucket = "bucket", .key = "k"}), "X-Amz-Credential").substr(0, 18));
        // A pause between URLs leaves the refresher (and TSan) room on two cores.
        std::this_thread::sleep_for(200us);
      } catch (const std::exception& failed) {
        if (failures++ == 0) {
          const std::lock_guard lock(first_failure_mutex);
          first_failure = failed.what();
        }
      }
    }
  };
  std::set<std::string> seen_a, seen_b;
  std::thread a([&] { presign_for(seen_a); });
  std::thread b([&] { presign_for(seen_b); });
  a.join();
  b.join();
  done = true;
  issuer.join();
  INFO("first failure: " << first_failure);
  CHECK(failures == 0);
  CHECK(seen_a.size() >= 3);  // 4 s of credentials with 2..3 s left, refreshed half-way
  CHECK(seen_b.size() >= 3);
}
