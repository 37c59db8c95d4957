// When to retry an AWS request and how long to wait: the AWS SDKs'
// "standard" retry mode, as pure decisions without I/O.
//
// - Retryable: HTTP 500, 502, 503, 504 and 429; throttling error codes
//   (SlowDown, Throttling, ...); RequestTimeout; connection resets, refusals
//   and timeouts. Other 4xx are final.
// - At most `max_attempts` attempts (3 by default), waiting
//   rand(0,1) * min(2^(retry-1) * base, 20 s) before each retry.
// - A retry quota shared by all requests of a client: 500 tokens; a retry
//   costs 5 (10 after a timeout), a success gives 1 back. When the quota is
//   empty, failures are returned at once rather than retried, so a sick
//   service is not hammered.
// - RequestTimeTooSkewed: the caller corrects its clock offset and retries once.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string_view>

namespace s3co::aws {

enum class failure_kind {
  none,        // success: nothing to retry
  throttling,  // 429, SlowDown, Throttling...: retry with backoff
  transient,   // 5xx, RequestTimeout, InternalError: retry with backoff
  connection,  // reset, refused, closed early: retry with backoff
  timeout,     // no answer in time: retry with backoff, costs more quota
  clock_skew,  // RequestTimeTooSkewed: correct the clock, retry once
  fatal,       // anything else: do not retry
};

constexpr bool is_retryable(failure_kind kind) noexcept {
  return kind != failure_kind::none && kind != failure_kind::fatal;
}

// The text of the first `<name>` leaf element of an AWS XML error body (at
// most 128 bytes), or empty. A plain search: the retry decision must not
// depend on the body being well-formed.
std::string_view find_error_element(std::string_view body, std::string_view name) noexcept;
// find_error_element(body, "Code")
std::string_view find_error_code(std::string_view body) noexcept;

// Classifies an HTTP answer by status and the AWS error code in its body
// (empty when there is none).
failure_kind classify_response(unsigned status, std::string_view error_code) noexcept;

struct retry_config {
  int max_attempts = 3;
  std::chrono::milliseconds base_delay{1000};
  std::chrono::milliseconds max_backoff{20000};
  int quota_capacity = 500;
  int retry_cost = 5;
  int timeout_retry_cost = 10;
  int success_refund = 1;
};

// The backoff before retry number `retry` (1 for the first retry).
std::chrono::milliseconds backoff_delay(const retry_config& config, int retry, double unit_random) noexcept;

// The shared token bucket. Thread-safe.
class retry_quota {
 public:
  explicit retry_quota(int capacity = retry_config{}.quota_capacity) noexcept : capacity_(capacity), tokens_(capacity) {}

  // Takes the cost of retrying after `kind`; false when the quota is exhausted.
  bool try_acquire(const retry_config& config, failure_kind kind) noexcept;
  void on_success(const retry_config& config) noexcept;
  int available() const noexcept { return tokens_.load(std::memory_order_relaxed); }

 private:
  int capacity_;
  std::atomic<int> tokens_;
};

// ---------------------------------------------------------------------------

inline std::string_view find_error_element(std::string_view body, std::string_view name) noexcept {
  for (auto at = body.find(name); at != std::string_view::npos; at = body.find(name, at + 1)) {
    const auto start = at + name.size() + 1;
    if (at == 0 || body[at - 1] != '<' || start > body.size() || body[start - 1] != '>') continue;
    const auto close = body.find("</", start);
    if (close == std::string_view::npos || close - start > 128 || body.substr(close + 2, name.size()) != name ||
        body.substr(close + 2 + name.size(), 1) != ">") {
      return {};
    }
    return body.substr(start, close - start);
  }
  return {};
}

inline std::string_view find_error_code(std::string_view body) noexcept { return find_error_element(body, "Code"); }

inline failure_kind classify_response(unsigned status, std::string_view error_code) noexcept {
  if (status >= 200 && status < 400) return failure_kind::none;
  if (error_code == "RequestTimeTooSkewed") return failure_kind::clock_skew;
  constexpr std::string_view throttling_codes[] = {
      "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
      "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
      "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown",
      "PriorRequestNotComplete", "EC2ThrottledException"};
  if (std::find(std::begin(throttling_codes), std::end(throttling_codes), error_code) != std::end(throttling_codes)) {
    return failure_kind::throttling;
  }
  if (error_code == "RequestTimeout" || error_code == "RequestTimeoutException" || error_code == "InternalError") {
    return failure_kind::transient;
  }
  if (status == 429) return failure_kind::throttling;
  if (status == 500 || status == 502 || status == 503 || status == 504) return failure_kind::transient;
  return failure_kind::fatal;
}

inline std::chrono::milliseconds backoff_delay(const retry_config& config, int retry, double unit_random) noexcept {
  const int exponent = std::clamp(retry - 1, 0, 30);
  const auto ceiling = std::min<std::int64_t>(config.base_delay.count() << exponent, config.max_backoff.count());
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::clamp(unit_random, 0.0, 1.0) * ceiling));
}

inline bool retry_quota::try_acquire(const retry_config& config, failure_kind kind) noexcept {
  const int cost = kind == failure_kind::timeout ? config.timeout_retry_cost : config.retry_cost;
  int tokens = tokens_.load(std::memory_order_relaxed);
  while (tokens >= cost) {
    if (tokens_.compare_exchange_weak(tokens, tokens - cost, std::memory_order_relaxed)) return true;
  }
  return false;
}

inline void retry_quota::on_success(const retry_config& config) noexcept {
  int tokens = tokens_.load(std::memory_order_relaxed);
  while (tokens < capacity_) {
    const int refilled = std::min(capacity_, tokens + config.success_refund);
    if (tokens_.compare_exchange_weak(tokens, refilled, std::memory_order_relaxed)) return;
  }
}

}  // namespace s3co::aws
