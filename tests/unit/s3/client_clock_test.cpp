// The S3 client's side of the retry decision (include/s3co/s3/client.hpp):
// S3 error codes read for the transport, and the server's clock learned from
// Date headers, through the real Beast client against a scripted server.
#include "s3co/http/client.hpp"
#include "s3co/s3/client.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <string>

#include <boost/asio/io_context.hpp>

#include "s3co/aws/amz_time.hpp"
#include "support/test_http_options.hpp"
#include "support/test_http_run.hpp"
#include "support/test_http_server.hpp"

using namespace s3co;
using namespace std::chrono_literals;
using s3co::testing::reply_ok;
using s3co::testing::reply_s3_error;
using s3co::testing::run_until_done;
using s3co::testing::test_http_reply;
using s3co::testing::test_http_request;
using s3co::testing::test_http_server;

namespace {

// `Sun, 06 Nov 1994 08:49:37 GMT`
std::string http_date(std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  static constexpr const char* day_names[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto day = floor<days>(when);
  const year_month_day ymd{day};
  const hh_mm_ss time_of_day{floor<seconds>(when - day)};
  char text[64];
  std::snprintf(text, sizeof text, "%s, %02u %s %04d %02d:%02d:%02d GMT", day_names[weekday{day}.c_encoding()],
                static_cast<unsigned>(ymd.day()), month_names[static_cast<unsigned>(ymd.month()) - 1],
                static_cast<int>(ymd.year()), static_cast<int>(time_of_day.hours().count()),
                static_cast<int>(time_of_day.minutes().count()), static_cast<int>(time_of_day.seconds().count()));
  return text;
}


test_http_reply dated(test_http_reply reply, std::chrono::system_clock::duration skew) {
  reply.headers.push_back({"Date", http_date(std::chrono::system_clock::now() + skew)});
  return reply;
}

struct scripted_s3 {
  explicit scripted_s3(test_http_server::script script) : server(std::move(script)) {}
  test_http_server server;
  boost::asio::io_context io;
  http::client transport{io.get_executor(), s3co::testing::quick_client_options()};
  s3::client<http::client> s3{transport, {"AKIDEXAMPLE", "secret"}, "us-east-1",
                              aws::parse_endpoint_url("http://127.0.0.1:" + std::to_string(server.port()))};
};

aws::utc_time_point signed_at(const test_http_request& request) {
  const auto at = aws::parse_amz_timestamp(request.header("x-amz-date"));
  REQUIRE(at.has_value());
  return *at;
}

aws::utc_time_point presigned_at(const std::string& url) {
  const auto start = url.find("X-Amz-Date=");
  REQUIRE(start != std::string::npos);
  const auto at = aws::parse_amz_timestamp(std::string_view(url).substr(start + 11, 16));
  REQUIRE(at.has_value());
  return *at;
}

}  // namespace

TEST_CASE("RequestTimeTooSkewed corrects the client's clock, retries once, and the correction sticks",
          "[s3-client][clock]") {
  const auto skew = -std::chrono::hours(5);
  scripted_s3 t([skew](const test_http_request& seen) {
    return dated(seen.number == 1 ? reply_s3_error(403, "RequestTimeTooSkewed") : reply_ok("signed in time"), skew);
  });
  const std::string body = run_until_done(t.io, t.s3.get_object({.bucket = "bucket", .key = "key"}));
  CHECK(body == "signed in time");
  CHECK(t.transport.retry_tokens() == 500);  // a skew retry takes no token
  CHECK(std::chrono::abs(t.s3.clock_offset() - skew) < 10s);

  const auto seen = t.server.received();
  REQUIRE(seen.size() == 2);
  const auto now = std::chrono::system_clock::now();
  CHECK(std::chrono::abs(signed_at(seen[0]) - now) < 10s);
  CHECK(std::chrono::abs(signed_at(seen[1]) - (now + skew)) < 10s);

  // The next request, and presigned URLs, use the server's time at once.
  run_until_done(t.io, t.s3.get_object({.bucket = "bucket", .key = "other"}));
  REQUIRE(t.server.requests() == 3);
  CHECK(std::chrono::abs(signed_at(t.server.received()[2]) - (now + skew)) < 10s);
  const std::string url = t.s3.presigner().presign({.bucket = "bucket", .key = "k"});
  CHECK(std::chrono::abs(presigned_at(url) - (now + skew)) < 10s);
}

TEST_CASE("RequestTimeTooSkewed without a Date header is corrected by its ServerTime", "[s3-client][clock]") {
  using namespace std::chrono;
  const auto skew = hours(2);
  const auto server_now = floor<seconds>(system_clock::now() + skew);
  const auto day = floor<days>(server_now);
  const year_month_day ymd{day};
  const hh_mm_ss time_of_day{server_now - day};
  char server_time[32];
  std::snprintf(server_time, sizeof server_time, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(time_of_day.hours().count()), static_cast<int>(time_of_day.minutes().count()),
                static_cast<int>(time_of_day.seconds().count()));
  scripted_s3 t([&](const test_http_request& seen) {
    if (seen.number > 1) return reply_ok("signed in time");
    test_http_reply skewed = reply_s3_error(403, "RequestTimeTooSkewed");
    skewed.body = "<Error><Code>RequestTimeTooSkewed</Code><ServerTime>" + std::string(server_time) +
                  "</ServerTime><MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds></Error>";
    return skewed;
  });
  CHECK(run_until_done(t.io, t.s3.get_object({.bucket = "bucket", .key = "key"})) == "signed in time");
  CHECK(t.s3.server_time_known());
  CHECK(abs(t.s3.clock_offset() - skew) < 10s);
  const auto seen = t.server.received();
  REQUIRE(seen.size() == 2);
  CHECK(abs(signed_at(seen[1]) - (system_clock::now() + skew)) < 10s);
}

TEST_CASE("RequestTimeTooSkewed twice is an s3_error after one retry", "[s3-client][clock]") {
  scripted_s3 t([](const test_http_request&) {
    return dated(reply_s3_error(403, "RequestTimeTooSkewed"), -std::chrono::hours(30));
  });
  try {
    run_until_done(t.io, t.s3.get_object({.bucket = "bucket", .key = "key"}));
    FAIL("expected an s3_error");
  } catch (const s3::s3_error& error) {
    CHECK(error.code() == "RequestTimeTooSkewed");
    CHECK(error.status() == 403);
    CHECK(error.attempts() == 2);
    CHECK_FALSE(error.retryable());
  }
  CHECK(t.server.requests() == 2);
  CHECK(std::chrono::abs(t.s3.clock_offset() + std::chrono::hours(30)) < 10s);
}

TEST_CASE("the server's clock is learned from the first answer, whatever its status", "[s3-client][clock]") {
  const auto skew = GENERATE(std::chrono::hours(2), -std::chrono::hours(2));
  scripted_s3 t([skew](const test_http_request&) { return dated(reply_s3_error(404, "NoSuchKey"), skew); });
  CHECK_FALSE(t.s3.server_time_known());
  CHECK_THROWS_AS(run_until_done(t.io, t.s3.get_object({.bucket = "bucket", .key = "missing"})), s3::s3_error);
  CHECK(t.s3.server_time_known());
  CHECK(std::chrono::abs(t.s3.clock_offset() - skew) < 10s);
  // Presigned URLs start when the server says it is now, not when we think.
  const std::string url = t.s3.presigner().presign({.bucket = "bucket", .key = "k", .expires = 600s});
  CHECK(std::chrono::abs(presigned_at(url) - (std::chrono::system_clock::now() + skew)) < 10s);
}

TEST_CASE("a server clock within the Date header's rounding leaves the clock alone", "[s3-client][clock]") {
  scripted_s3 t([](const test_http_request&) { return dated(reply_ok("fine"), 0s); });
  run_until_done(t.io, t.s3.get_object({.bucket = "bucket", .key = "key"}));
  CHECK(t.s3.server_time_known());
  CHECK(t.s3.clock_offset() == 0ms);
}

TEST_CASE("S3 error codes drive the transport's retries: SlowDown in a 400 is retried", "[s3-client][clock]") {
  scripted_s3 t([](const test_http_request& seen) {
    return seen.number <= 2 ? reply_s3_error(400, "SlowDown") : reply_ok("done");
  });
  CHECK(run_until_done(t.io, t.s3.get_object({.bucket = "bucket", .key = "key"})) == "done");
  CHECK(t.server.requests() == 3);
}
