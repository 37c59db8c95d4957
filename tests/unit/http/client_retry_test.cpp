// Tests for the retry behaviour of include/s3co/http/client.hpp against the
// scripted local server: which answers are retried and how often, re-signing
// on each attempt, clock-skew correction, re-sending bodies in full, and the
// retry-token quota.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "s3co/aws/amz_time.hpp"
#include "s3co/http/client.hpp"
#include "support/temp_file.hpp"
#include "support/test_http_options.hpp"
#include "support/test_http_run.hpp"
#include "support/test_http_server.hpp"

namespace http = s3co::http;
using namespace std::chrono_literals;
using s3co::testing::expect_transport_error;
using s3co::testing::quick_client_options;
using s3co::testing::reply_ok;
using s3co::testing::reply_s3_error;
using s3co::testing::run_until_done;
using s3co::testing::test_http_reply;
using s3co::testing::test_http_request;
using s3co::testing::test_http_server;

namespace {

// What a protocol layer (S3) hands the client: the AWS error code read from
// the body. Without it, the client decides by status alone.
http::request with_error_code_classifier(http::request req) {
  req.classify = [](const http::response& answer) {
    return s3co::aws::classify_response(answer.status, s3co::aws::find_error_code(answer.body));
  };
  return req;
}

}  // namespace


namespace {

std::string pattern(std::size_t size) {
  std::string text(size, '\0');
  for (std::size_t i = 0; i < size; ++i) text[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return text;
}

// Sets one Authorization and one x-amz-date header, replacing the previous
// attempt's, the way the S3 client's signer does.
void set_header(http::request& req, const std::string& name, const std::string& value) {
  for (auto& header : req.headers) {
    if (header.name == name) {
      header.value = value;
      return;
    }
  }
  req.headers.push_back({name, value});
}

}  // namespace

TEST_CASE("503 SlowDown twice then 200 takes three attempts", "[http][retry]") {
  test_http_server server([](const test_http_request& seen) {
    return seen.number <= 2 ? reply_s3_error(503, "SlowDown") : reply_ok("done");
  });
  boost::asio::io_context io;
  http::client client(io.get_executor(), quick_client_options());

  const http::response answer = run_until_done(io, client.send(server.request_to("/bucket/key")));
  CHECK(answer.status == 200);
  CHECK(answer.body == "done");
  CHECK(answer.attempts == 3);
  CHECK(server.requests() == 3);
  CHECK(client.connections_opened() == 1);  // a 503 keeps the connection
  CHECK(client.retry_tokens() == 500 - 5 - 5 + 1);
}

TEST_CASE("always 503 returns the 503 answer after three attempts", "[http][retry]") {
  test_http_server server([](const test_http_request&) { return reply_s3_error(503, "SlowDown"); });
  boost::asio::io_context io;
  http::client client(io.get_executor(), quick_client_options());

  const http::response answer = run_until_done(io, client.send(server.request_to("/bucket/key")));
  CHECK(answer.status == 503);
  CHECK(answer.attempts == 3);
  CHECK(answer.body.find("<Code>SlowDown</Code>") != std::string::npos);
  CHECK(server.requests() == 3);
}

TEST_CASE("retryable statuses and codes are retried until success", "[http][retry]") {
  struct failure {
    unsigned status;
    const char* code;  // empty: a bare status without a body
  };
  const auto [status, code] = GENERATE(failure{500, ""}, failure{502, ""}, failure{503, ""}, failure{504, ""},
                                       failure{429, ""}, failure{500, "InternalError"}, failure{400, "RequestTimeout"},
                                       failure{400, "Throttling"}, failure{400, "SlowDown"},
                                       failure{400, "ThrottlingException"});
  CAPTURE(status, code);
  test_http_server server([status = status, code = std::string(code)](const test_http_request& seen) {
    if (seen.number > 2) return reply_ok("done");
    if (code.empty()) {
      test_http_reply reply;
      reply.status = status;
      return reply;
    }
    return reply_s3_error(status, code);
  });
  boost::asio::io_context io;
  http::client client(io.get_executor(), quick_client_options());

  const http::response answer =
      run_until_done(io, client.send(with_error_code_classifier(server.request_to("/bucket/key"))));
  CHECK(answer.status == 200);
  CHECK(answer.attempts == 3);
  CHECK(server.requests() == 3);
}

TEST_CASE("without a classifier, a 400 is final whatever error code its body holds", "[http][retry]") {
  test_http_server server([](const test_http_request&) { return reply_s3_error(400, "SlowDown"); });
  boost::asio::io_context io;
  http::client client(io.get_executor(), quick_client_options());

  const http::response answer = run_until_done(io, client.send(server.request_to("/bucket/key")));
  CHECK(answer.status == 400);
  CHECK(answer.attempts == 1);
  CHECK(server.requests() == 1);
}

TEST_CASE("400 403 and 404 are returned after one attempt", "[http][retry]") {
  struct failure {
    unsigned status;
    const char* code;
  };
  const auto [status, code] = GENERATE(failure{400, "InvalidArgument"}, failure{403, "AccessDenied"},
                                       failure{403, "SignatureDoesNotMatch"}, failure{404, "NoSuchKey"},
                                       failure{404, ""}, failure{409, "BucketNotEmpty"}, failure{412, "PreconditionFailed"});
  CAPTURE(status, code);
  test_http_server server([status = status, code = std::string(code)](const test_http_request&) {
    if (code.empty()) {
      test_http_reply reply;
      reply.status = status;
      return reply;
    }
    return reply_s3_error(status, code);
  });
  boost::asio::io_context io;
  http::client client(io.get_executor(), quick_client_options());

  const http::response answer =
      run_until_done(io, client.send(with_error_code_classifier(server.request_to("/bucket/key"))));
  CHECK(answer.status == status);
  CHECK(answer.attempts == 1);
  CHECK(server.requests() == 1);
  CHECK(client.retry_tokens() == 500);  // nothing taken, nothing to give back
}

TEST_CASE("a 500 on every third request is retried on the same connection", "[http][retry]") {
  test_http_server server([](const test_http_request& seen) {
    return seen.number % 3 == 0 ? reply_s3_error(500, "InternalError") : reply_ok("fine");
  });
  boost::asio::io_context io;
  http::client client(io.get_executor(), quick_client_options());

  int total_attempts = 0;
  int retried = 0;
  for (int i = 0; i < 10; ++i) {
    const http::response answer = run_until_done(io, client.send(server.request_to("/bucket/key")));
    REQUIRE(answer.status == 200);
    total_attempts += answer.attempts;
    if (answer.attempts > 1) ++retried;
  }
  // Server requests 3, 6, 9 and 12 failed: requests 3, 5, 7 and 9 were retried once.
  CHECK(retried == 4);
  CHECK(total_attempts == 14);
  CHECK(server.requests() == 14);
  CHECK(client.connections_opened() == 1);
  CHECK(server.connections() == 1);
  // Full at first (successes at capacity give nothing), then -5 per retry, +1 per success.
  CHECK(client.retry_tokens() == 488);
}

TEST_CASE("authorize runs before every attempt and the server sees each signature", "[http][retry]") {
  test_http_server server([](const test_http_request& seen) {
    return seen.number <= 2 ? reply_s3_error(503, "SlowDown") : reply_ok();
  });
  boost::asio::io_context io;
  http::client client(io.get_executor(), quick_client_options());

  int calls = 0;
  std::vector<s3co::aws::utc_time_point> times;
  http::request req = server.request_to("/bucket/key?partNumber=1");
  req.headers.push_back({"x-caller", "kept"});
  req.authorize = [&calls, &times](http::request& r, s3co::aws::utc_time_point now) {
    ++calls;
    times.push_back(now);
    set_header(r, "Authorization", "AWS4-HMAC-SHA256 attempt=" + std::to_string(calls));
  };
  const http::response answer = run_until_done(io, client.send(std::move(req)));
  CHECK(answer.attempts == 3);
  CHECK(calls == 3);
  const auto seen = server.received();
  REQUIRE(seen.size() == 3);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    CHECK(seen[i].header("Authorization") == "AWS4-HMAC-SHA256 attempt=" + std::to_string(i + 1));
    CHECK(seen[i].header("x-caller") == "kept");
    CHECK(seen[i].target == "/bucket/key?partNumber=1");
    std::size_t authorizations = 0;
    for (const auto& [name, value] : seen[i].headers) authorizations += name == "Authorization";
    CHECK(authorizations == 1);
  }
  // The clock is not skewed: each attempt is signed with the time of its attempt.
  REQUIRE(times.size() == 3);
  CHECK(times[0] <= times[1]);
  CHECK(times[1] <= times[2]);
  CHECK(std::chrono::abs(times[2] - std::chrono::system_clock::now()) < 30s);
}

TEST_CASE("an answer classified as clock skew is retried once, at once, without a retry token", "[http][retry]") {
  test_http_server server([](const test_http_request& seen) {
    return seen.number == 1 ? reply_s3_error(403, "RequestTimeTooSkewed") : reply_ok("signed in time");
  });
  boost::asio::io_context io;
  auto options = quick_client_options();
  options.retry.base_delay = std::chrono::milliseconds(60'000);  // a backoff would show as a hang
  http::client client(io.get_executor(), options);

  int classified = 0;
  http::request req = server.request_to("/bucket/key");
  req.classify = [&classified](const http::response& answer) {
    ++classified;
    return answer.status == 403 ? s3co::aws::failure_kind::clock_skew : s3co::aws::failure_kind::none;
  };
  const auto started = std::chrono::steady_clock::now();
  const http::response answer = run_until_done(io, client.send(std::move(req)));
  CHECK(std::chrono::steady_clock::now() - started < 30s);
  CHECK(answer.status == 200);
  CHECK(answer.attempts == 2);
  CHECK(classified == 2);
  CHECK(server.requests() == 2);
  CHECK(client.retry_tokens() == 500);
}

TEST_CASE("clock skew twice is returned after one retry", "[http][retry]") {
  test_http_server server([](const test_http_request&) { return reply_s3_error(403, "RequestTimeTooSkewed"); });
  boost::asio::io_context io;
  http::client client(io.get_executor(), quick_client_options());

  http::request req = server.request_to("/bucket/key");
  req.classify = [](const http::response&) { return s3co::aws::failure_kind::clock_skew; };
  const http::response answer = run_until_done(io, client.send(std::move(req)));
  CHECK(answer.status == 403);
  CHECK(answer.attempts == 2);
  CHECK(server.requests() == 2);
}

TEST_CASE("a string body is re-sent in full on every attempt", "[http][retry]") {
  const std::string body = pattern(200 * 1024);
  test_http_server server([](const test_http_request& seen) {
    return seen.number <= 2 ? reply_s3_error(503, "SlowDown") : reply_ok();
  });
  boost::asio::io_context io;
  http::client client(io.get_executor(), quick_client_options());

  http::request req = server.request_to("/bucket/key", http::http_method::put);
  req.body = body;
  const http::response answer = run_until_done(io, client.send(std::move(req)));
  CHECK(answer.status == 200);
  CHECK(answer.attempts == 3);
  const auto seen = server.received();
  REQUIRE(seen.size() == 3);
  for (const auto& request : seen) {
    CHECK(request.method == "PUT");
    CHECK(request.header("Content-Length") == std::to_string(body.size()));
    CHECK(request.body == body);  // byte for byte
  }
}

TEST_CASE("a file body is re-sent in full on every attempt", "[http][retry]") {
  const std::string contents = pattern(300 * 1024 + 7);
  const s3co::testing::temp_file file(contents);
  test_http_server server([](const test_http_request& seen) {
    if (seen.number == 1) return s3co::testing::reply_reset_mid_body();  // the connection dies too
    if (seen.number == 2) return reply_s3_error(503, "SlowDown");
    return reply_ok();
  });
  boost::asio::io_context io;
  http::client client(io.get_executor(), quick_client_options());

  http::request req = server.request_to("/bucket/key", http::http_method::put);
  req.body = http::file_body{file.path()};
  const http::response answer = run_until_done(io, client.send(std::move(req)));
  CHECK(answer.status == 200);
  CHECK(answer.attempts == 3);
  const auto seen = server.received();
  REQUIRE(seen.size() == 3);
  for (const auto& request : seen) {
    CHECK(request.header("Content-Length") == std::to_string(contents.size()));
    CHECK(request.body == contents);
  }
  CHECK(server.connections() == 2);
}

TEST_CASE("an empty PUT says Content-Length 0", "[http][retry]") {
  test_http_server server([](const test_http_request&) { return reply_ok(); });
  boost::asio::io_context io;
  http::client client(io.get_executor(), quick_client_options());

  const http::response answer =
      run_until_done(io, client.send(server.request_to("/bucket/key", http::http_method::put)));
  CHECK(answer.status == 200);
  const auto seen = server.received();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].header("Content-Length") == "0");
  CHECK(seen[0].body.empty());
  CHECK(seen[0].header("Host") == "127.0.0.1:" + std::to_string(server.port()));
  CHECK(seen[0].header("User-Agent") == "s3co/0.1");
}

TEST_CASE("the retry quota stops retries once its tokens are used up", "[http][retry][quota]") {
  std::atomic<bool> healthy{false};
  test_http_server server([&healthy](const test_http_request&) {
    return healthy ? reply_ok() : reply_s3_error(503, "SlowDown");
  });
  http::client_options options = quick_client_options();
  options.retry.quota_capacity = 10;
  boost::asio::io_context io;
  http::client client(io.get_executor(), options);
  REQUIRE(client.retry_tokens() == 10);

  const http::response first = run_until_done(io, client.send(server.request_to("/bucket/key")));
  CHECK(first.status == 503);
  CHECK(first.attempts == 3);  // two retries at 5 tokens each
  CHECK(client.retry_tokens() == 0);

  const http::response second = run_until_done(io, client.send(server.request_to("/bucket/key")));
  CHECK(second.status == 503);
  CHECK(second.attempts == 1);  // no token left: returned at once
  CHECK(client.retry_tokens() == 0);
  CHECK(server.requests() == 4);

  healthy = true;
  const http::response third = run_until_done(io, client.send(server.request_to("/bucket/key")));
  CHECK(third.status == 200);
  CHECK(client.retry_tokens() == 1);  // a success gives one back

  healthy = false;
  const http::response fourth = run_until_done(io, client.send(server.request_to("/bucket/key")));
  CHECK(fourth.attempts == 1);  // one token is less than a retry costs
  CHECK(client.retry_tokens() == 1);
}

TEST_CASE("a timeout costs the quota 10 tokens per retry", "[http][retry][quota]") {
  test_http_server server([](const test_http_request&) { return s3co::testing::reply_stall(); });
  http::client_options options = quick_client_options();
  options.request_timeout = 300ms;
  options.retry.quota_capacity = 15;
  boost::asio::io_context io;
  http::client client(io.get_executor(), options);

  const http::transport_error error = expect_transport_error(io, client.send(server.request_to("/bucket/key")));
  CHECK(error.attempts() == 2);  // 15 - 10 = 5 left: not enough for a second timeout retry
  CHECK(client.retry_tokens() == 5);
  CHECK(server.requests() == 2);
}

TEST_CASE("a success refunds one token and never overfills the quota", "[http][retry][quota]") {
  test_http_server server([](const test_http_request& seen) {
    return seen.number == 1 ? reply_s3_error(503, "SlowDown") : reply_ok();
  });
  boost::asio::io_context io;
  http::client client(io.get_executor(), quick_client_options());

  CHECK(run_until_done(io, client.send(server.request_to("/a"))).attempts == 2);
  CHECK(client.retry_tokens() == 496);
  for (int i = 0; i < 6; ++i) run_until_done(io, client.send(server.request_to("/a")));
  CHECK(client.retry_tokens() == 500);
}

TEST_CASE("max_attempts is honoured", "[http][retry]") {
  test_http_server server([](const test_http_request&) { return reply_s3_error(500, "InternalError"); });
  auto attempts = GENERATE(1, 2, 5);
  CAPTURE(attempts);
  http::client_options options = quick_client_options();
  options.retry.max_attempts = attempts;
  boost::asio::io_context io;
  http::client client(io.get_executor(), options);

  const std::size_t before = server.requests();
  const http::response answer = run_until_done(io, client.send(server.request_to("/bucket/key")));
  CHECK(answer.status == 500);
  CHECK(answer.attempts == attempts);
  CHECK(server.requests() - before == static_cast<std::size_t>(attempts));
}
