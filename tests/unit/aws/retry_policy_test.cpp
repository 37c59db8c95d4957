// Tests for include/s3co/aws/retry_policy.hpp: classification of answers,
// backoff bounds, the retry quota's arithmetic and error-code extraction.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "s3co/aws/retry_policy.hpp"

using s3co::aws::backoff_delay;
using s3co::aws::classify_response;
using s3co::aws::failure_kind;
using s3co::aws::find_error_code;
using s3co::aws::is_retryable;
using s3co::aws::retry_config;
using s3co::aws::retry_quota;
using namespace std::chrono_literals;

TEST_CASE("classify_response follows the standard retry mode", "[aws][retry]") {
  struct row {
    unsigned status;
    const char* code;
    failure_kind expected;
  };
  const row table[] = {
      {200, "", failure_kind::none},
      {204, "", failure_kind::none},
      {206, "", failure_kind::none},
      {301, "", failure_kind::none},
      {304, "", failure_kind::none},
      {307, "", failure_kind::none},
      {500, "", failure_kind::transient},
      {500, "InternalError", failure_kind::transient},
      {502, "", failure_kind::transient},
      {503, "", failure_kind::transient},
      {503, "SlowDown", failure_kind::throttling},
      {503, "ServiceUnavailable", failure_kind::transient},
      {504, "", failure_kind::transient},
      {429, "", failure_kind::throttling},
      {429, "TooManyRequestsException", failure_kind::throttling},
      {400, "SlowDown", failure_kind::throttling},
      {400, "Throttling", failure_kind::throttling},
      {400, "ThrottlingException", failure_kind::throttling},
      {400, "RequestLimitExceeded", failure_kind::throttling},
      {400, "RequestTimeout", failure_kind::transient},
      {400, "RequestTimeoutException", failure_kind::transient},
      {403, "RequestTimeTooSkewed", failure_kind::clock_skew},
      {400, "", failure_kind::fatal},
      {400, "InvalidArgument", failure_kind::fatal},
      {400, "MalformedXML", failure_kind::fatal},
      {403, "", failure_kind::fatal},
      {403, "AccessDenied", failure_kind::fatal},
      {403, "SignatureDoesNotMatch", failure_kind::fatal},
      {404, "", failure_kind::fatal},
      {404, "NoSuchKey", failure_kind::fatal},
      {404, "NoSuchBucket", failure_kind::fatal},
      {405, "", failure_kind::fatal},
      {409, "BucketNotEmpty", failure_kind::fatal},
      {412, "PreconditionFailed", failure_kind::fatal},
      {416, "InvalidRange", failure_kind::fatal},
      {501, "NotImplemented", failure_kind::fatal},
      {505, "", failure_kind::fatal},
  };
  for (const auto& [status, code, expected] : table) {
    CAPTURE(status, code);
    CHECK(classify_response(status, code) == expected);
  }
}

TEST_CASE("is_retryable is false only for none and fatal", "[aws][retry]") {
  CHECK_FALSE(is_retryable(failure_kind::none));
  CHECK_FALSE(is_retryable(failure_kind::fatal));
  CHECK(is_retryable(failure_kind::throttling));
  CHECK(is_retryable(failure_kind::transient));
  CHECK(is_retryable(failure_kind::connection));
  CHECK(is_retryable(failure_kind::timeout));
  CHECK(is_retryable(failure_kind::clock_skew));
}

TEST_CASE("find_error_code extracts the Code of an AWS error body", "[aws][retry]") {
  CHECK(find_error_code("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>"
                        "<Message>Please reduce your request rate.</Message></Error>") == "SlowDown");
  CHECK(find_error_code("<Error><Code>NoSuchKey</Code><Key>a</Key></Error>") == "NoSuchKey");
  CHECK(find_error_code("<Error><Code></Code></Error>").empty());
  CHECK(find_error_code("").empty());
  CHECK(find_error_code("plain text, no xml").empty());
  CHECK(find_error_code("<Error><Code>Unterminated").empty());  // truncated body
  CHECK(find_error_code("<Error><Code>" + std::string(200, 'A') + "</Code></Error>").empty());  // not a code
  CHECK(find_error_code("<Error><Code>" + std::string(128, 'A') + "</Code></Error>") == std::string(128, 'A'));
  // The first Code wins; a later one is not looked at.
  CHECK(find_error_code("<Error><Code>First</Code><Code>Second</Code></Error>") == "First");
  // A closing tag before the opening one is ignored.
  CHECK(find_error_code("</Code><Code>Real</Code>") == "Real");
}

TEST_CASE("find_error_element reads other leaf elements, such as S3's ServerTime", "[aws][retry]") {
  const std::string skewed =
      "<Error><Code>RequestTimeTooSkewed</Code><RequestTime>20261203T100000Z</RequestTime>"
      "<ServerTime>2026-12-03T12:00:00Z</ServerTime><MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds>"
      "</Error>";
  CHECK(s3co::aws::find_error_element(skewed, "ServerTime") == "2026-12-03T12:00:00Z");
  CHECK(s3co::aws::find_error_element(skewed, "RequestTime") == "20261203T100000Z");
  CHECK(s3co::aws::find_error_element(skewed, "Time").empty());  // only whole element names
  CHECK(s3co::aws::find_error_element("<ServerTime>x</ServerTimeZone>", "ServerTime").empty());
  CHECK(s3co::aws::find_error_element("<ServerTime>x</Server>", "ServerTime").empty());
  CHECK(s3co::aws::find_error_element("<ServerTime>", "ServerTime").empty());
  CHECK(s3co::aws::find_error_element("ServerTime>a</ServerTime>", "ServerTime").empty());
}

TEST_CASE("backoff_delay is full jitter on a capped exponential", "[aws][retry]") {
  const retry_config config;  // base 1 s, cap 20 s
  CHECK(backoff_delay(config, 1, 1.0) == 1000ms);
  CHECK(backoff_delay(config, 2, 1.0) == 2000ms);
  CHECK(backoff_delay(config, 3, 1.0) == 4000ms);
  CHECK(backoff_delay(config, 4, 1.0) == 8000ms);
  CHECK(backoff_delay(config, 5, 1.0) == 16000ms);
  CHECK(backoff_delay(config, 6, 1.0) == 20000ms);
  CHECK(backoff_delay(config, 7, 1.0) == 20000ms);
  CHECK(backoff_delay(config, 3, 0.5) == 2000ms);
  for (int retry = 1; retry <= 200; ++retry) {
    CAPTURE(retry);
    CHECK(backoff_delay(config, retry, 0.0) == 0ms);
    const auto largest = backoff_delay(config, retry, 1.0);
    CHECK(largest >= 0ms);
    CHECK(largest <= 20000ms);
    CHECK(backoff_delay(config, retry, 0.999) <= largest);
  }
  CHECK(backoff_delay(config, 1000000, 1.0) == 20000ms);
  CHECK(backoff_delay(config, 0, 1.0) == 1000ms);   // nonsense in, sane out
  CHECK(backoff_delay(config, -5, 1.0) == 1000ms);
  CHECK(backoff_delay(config, 3, 7.0) == 4000ms);   // random clamped to [0, 1]
  CHECK(backoff_delay(config, 3, -1.0) == 0ms);

  retry_config quick;
  quick.base_delay = 5ms;
  quick.max_backoff = 100ms;
  CHECK(backoff_delay(quick, 1, 1.0) == 5ms);
  CHECK(backoff_delay(quick, 3, 1.0) == 20ms);
  CHECK(backoff_delay(quick, 6, 1.0) == 100ms);
  CHECK(backoff_delay(quick, 60, 1.0) == 100ms);
}

TEST_CASE("retry_quota takes 5 per retry and 10 per timeout and refunds 1 per success", "[aws][retry]") {
  const retry_config config;
  retry_quota quota(config.quota_capacity);
  CHECK(quota.available() == 500);
  quota.on_success(config);
  CHECK(quota.available() == 500);  // never above capacity

  CHECK(quota.try_acquire(config, failure_kind::transient));
  CHECK(quota.available() == 495);
  CHECK(quota.try_acquire(config, failure_kind::throttling));
  CHECK(quota.try_acquire(config, failure_kind::connection));
  CHECK(quota.available() == 485);
  CHECK(quota.try_acquire(config, failure_kind::timeout));
  CHECK(quota.available() == 475);
  quota.on_success(config);
  CHECK(quota.available() == 476);
}

TEST_CASE("retry_quota refuses once exhausted and recovers with successes", "[aws][retry]") {
  const retry_config config;
  retry_quota quota(12);
  CHECK(quota.try_acquire(config, failure_kind::timeout));  // 2 left
  CHECK_FALSE(quota.try_acquire(config, failure_kind::transient));
  CHECK_FALSE(quota.try_acquire(config, failure_kind::timeout));
  CHECK(quota.available() == 2);  // a refusal takes nothing
  for (int i = 0; i < 3; ++i) quota.on_success(config);
  CHECK(quota.available() == 5);
  CHECK_FALSE(quota.try_acquire(config, failure_kind::timeout));
  CHECK(quota.try_acquire(config, failure_kind::transient));
  CHECK(quota.available() == 0);
  for (int i = 0; i < 100; ++i) quota.on_success(config);
  CHECK(quota.available() == 12);

  retry_quota empty(0);
  CHECK_FALSE(empty.try_acquire(config, failure_kind::transient));
  empty.on_success(config);
  CHECK(empty.available() == 0);
}

TEST_CASE("retry_quota is consistent under concurrent use", "[aws][retry]") {
  const retry_config config;
  retry_quota quota(500);
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (quota.try_acquire(config, failure_kind::transient)) ++granted;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(granted == 100);  // 500 / 5, no more, no less
  CHECK(quota.available() == 0);
}
