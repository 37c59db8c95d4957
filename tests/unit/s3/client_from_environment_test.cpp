// include/s3co/s3/client_from_environment.hpp: the one-call client, resolved
// from the environment as the AWS SDKs resolve it.
#include "s3co/s3/client_from_environment.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <thread>

#include "support/clean_aws_environment.hpp"
#include "support/credential_servers.hpp"
#include "support/run_async.hpp"

using namespace s3co;

namespace {

// A clean slate: nothing of the machine's own AWS set-up leaks in.
void clear_aws_environment(s3co::testing::scoped_environment& env) { s3co::testing::clean_aws_environment(env); }

boost::asio::awaitable<std::unique_ptr<s3::client<http::client>>> resolve_then_mark(bool& resolved) {
  auto made = co_await s3::async_client_from_environment(co_await boost::asio::this_coro::executor);
  resolved = true;
  co_return made;
}

// Counts 10 ms ticks on the same event loop until `resolved`.
boost::asio::awaitable<void> tick_until(const bool& resolved, int& ticks) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  while (!resolved) {
    timer.expires_after(std::chrono::milliseconds(10));
    co_await timer.async_wait(boost::asio::use_awaitable);
    ++ticks;
  }
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

TEST_CASE("client_from_environment signs with refreshed credentials once the chain's refresh lands",
          "[s3-client][environment][refresh]") {
  s3co::testing::scoped_environment env;
  clear_aws_environment(env);
  s3co::testing::container_server container("/v1/credentials");
  s3co::testing::issued_credentials first;
  first.access_key_id = "ASIAFIRSTGENERATION1";
  first.lives_for = std::chrono::seconds(2);
  container.set_issued(first);
  env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", container.url()).set("AWS_REGION", "eu-west-1");
  boost::asio::io_context io;
  auto s3 = s3::client_from_environment(io.get_executor());
  CHECK(s3.credentials_source() == "container credentials");

  const auto authorization = [&] {
    http::request request = s3.make_request(aws::http_method::get, "bucket", "key");
    request.authorize(request, std::chrono::system_clock::now());
    std::string token;
    for (const auto& header : request.headers) {
      if (header.name == "x-amz-security-token") token = header.value;
    }
    for (const auto& header : request.headers) {
      if (header.name == "Authorization") return header.value + " token=" + token;
    }
    return std::string();
  };
  CHECK_THAT(authorization(), Catch::Contains("Credential=ASIAFIRSTGENERATION1/") &&
                                  Catch::EndsWith("token=" + first.session_token));

  s3co::testing::issued_credentials second = first;
  second.access_key_id = "ASIASECONDGENERATION";
  second.session_token = "second+generation/token";
  container.set_issued(second);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(4);
  while (s3.credentials().access_key_id != second.access_key_id && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK_THAT(authorization(), Catch::Contains("Credential=ASIASECONDGENERATION/") &&
                                  Catch::EndsWith("token=second+generation/token"));
}

TEST_CASE("async_client_from_environment resolves a slow provider without stalling the caller's event loop",
          "[s3-client][environment]") {
  s3co::testing::scoped_environment env;
  clear_aws_environment(env);
  s3co::testing::container_server container("/v1/credentials");
  container.set_delay(std::chrono::milliseconds(400));
  env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", container.url()).set("AWS_REGION", "eu-west-1");
  boost::asio::io_context io(1);
  bool resolved = false;
  int ticks = 0;
  boost::asio::co_spawn(io, tick_until(resolved, ticks), boost::asio::detached);
  auto s3 = s3co::testing::run_async(io, resolve_then_mark(resolved));
  REQUIRE(s3);
  CHECK(s3->credentials_source() == "container credentials");
  CHECK(s3->credentials().access_key_id == container.issued().access_key_id);
  CHECK(s3->region() == "eu-west-1");
  // A blocking resolution would have held the only thread for the whole 400 ms: no tick at all.
  CHECK(ticks >= 3);

  container.set_delay(std::chrono::milliseconds(0));
  env.clear("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  bool never = false;
  CHECK_THROWS_WITH(s3co::testing::run_async(io, resolve_then_mark(never)), Catch::StartsWith("credentials:"));
}
