// An in-memory ListObjectsV2 for unit tests: a RequestSender that answers
// from a sorted key set as S3 does (prefix, start-after, continuation-token,
// delimiter, max-keys, encoding-type=url; the token is opaque to the
// client), each answer after a random delay of up to `max_delay`, and answers 500
// InternalError to the requests `fail_request` picks. It counts requests,
// the keys it answered and the most requests in flight at once. Thread-safe; it must outlive the
// requests sent to it.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "s3co/aws/uri_encoding.hpp"
#include "s3co/http/message.hpp"

namespace s3co::testing {

class fake_list_server {
 public:
  explicit fake_list_server(std::set<std::string> keys, std::chrono::microseconds max_delay = {})
      : keys_(std::move(keys)), max_delay_(max_delay) {}

  // Called with the 1-based number of each request; true: answer 500.
  std::function<bool(std::size_t)> fail_request{};
  // Called with the 1-based number of each request; true: never answer
  // (until the request is cancelled).
  std::function<bool(std::size_t)> stall_request{};

  boost::asio::awaitable<http::response> send(http::request request) {
    const std::size_t number = ++requests_;
    const int now_in_flight = ++in_flight_;
    for (int seen = max_in_flight_.load(); now_in_flight > seen && !max_in_flight_.compare_exchange_weak(seen, now_in_flight);) {
    }
    struct leave {
      std::atomic<int>& count;
      ~leave() { --count; }
    } on_exit{in_flight_};

    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
    if (stall_request && stall_request(number)) {
      timer.expires_after(std::chrono::hours(1));
      co_await timer.async_wait(boost::asio::use_awaitable);
    }
    if (max_delay_.count() > 0) {
      timer.expires_after(random_delay());
      co_await timer.async_wait(boost::asio::use_awaitable);
    }
    if (fail_request && fail_request(number)) {
      co_return reply(500, "<?xml version=\"1.0\"?><Error><Code>InternalError</Code><Message>injected</Message></Error>");
    }
    co_return reply(200, list(request.target));
  }

  std::size_t requests() const noexcept { return requests_.load(); }
  std::size_t keys_answered() const noexcept { return keys_answered_.load(); }
  int in_flight() const noexcept { return in_flight_.load(); }
  int max_in_flight() const noexcept { return max_in_flight_.load(); }

 private:
  static http::response reply(unsigned status, std::string body) {
    http::response response;
    response.status = status;
    response.body = std::move(body);
    return response;
  }

  std::chrono::microseconds random_delay() {
    std::lock_guard lock(mutex_);
    return std::chrono::microseconds(std::uniform_int_distribution<long>(0, max_delay_.count())(random_));
  }

  static std::string query_value(std::string_view target, std::string_view name) {
    const auto query_start = target.find('?');
    if (query_start == std::string_view::npos) return {};
    std::string_view query = target.substr(query_start + 1);
    while (!query.empty()) {
      const auto end = std::min(query.find('&'), query.size());
      const std::string_view pair = query.substr(0, end);
      const auto equals = pair.find('=');
      if (pair.substr(0, equals) == name) {
        return equals == std::string_view::npos ? std::string() : aws::uri_decoded(pair.substr(equals + 1)).value();
      }
      query.remove_prefix(std::min(end + 1, query.size()));
    }
    return {};
  }

  std::string list(std::string_view target) {
    const std::string prefix = query_value(target, "prefix");
    const std::string delimiter = query_value(target, "delimiter");
    // The token went out URI-encoded in the XML and came back as it was:
    // "~" and the last key, or "^" and the last common prefix (resume past its keys).
    const std::string token = aws::uri_decoded(query_value(target, "continuation-token")).value();
    const std::string max_keys_text = query_value(target, "max-keys");
    const std::size_t max_keys = max_keys_text.empty() ? 1000 : std::stoul(max_keys_text);

    std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult><EncodingType>url</EncodingType>";
    auto it = token.empty() ? keys_.upper_bound(query_value(target, "start-after"))
              : token[0] == '~' ? keys_.upper_bound(token.substr(1))
                                : keys_.lower_bound(token.substr(1) + "\xff");  // (no UTF-8 key holds 0xFF)
    if (it != keys_.end() && *it < prefix) it = keys_.lower_bound(prefix);
    const auto has_prefix = [&prefix](const std::string& key) { return key.compare(0, prefix.size(), prefix) == 0; };
    std::size_t count = 0;
    std::string resume;
    for (; it != keys_.end() && has_prefix(*it) && count < max_keys; ++count) {
      const auto mark = delimiter.empty() ? std::string::npos : it->find(delimiter, prefix.size());
      if (mark == std::string::npos) {
        body += "<Contents><Key>" + aws::uri_encoded(*it) + "</Key><Size>1</Size></Contents>";
        resume = "~" + *it;
        ++it;
      } else {
        const std::string common = it->substr(0, mark + delimiter.size());
        body += "<CommonPrefixes><Prefix>" + aws::uri_encoded(common) + "</Prefix></CommonPrefixes>";
        resume = "^" + common;
        it = keys_.lower_bound(common + "\xff");
      }
    }
    keys_answered_ += count;
    const bool truncated = it != keys_.end() && has_prefix(*it);
    body += truncated ? "<IsTruncated>true</IsTruncated><NextContinuationToken>" + aws::uri_encoded(resume) +
                            "</NextContinuationToken>"
                      : "<IsTruncated>false</IsTruncated>";
    body += "<KeyCount>" + std::to_string(count) + "</KeyCount></ListBucketResult>";
    return body;
  }

  const std::set<std::string> keys_;
  const std::chrono::microseconds max_delay_;
  std::mutex mutex_;
  std::mt19937_64 random_{12345};
  std::atomic<std::size_t> requests_{0};
  std::atomic<std::size_t> keys_answered_{0};
  std::atomic<int> in_flight_{0};
  std::atomic<int> max_in_flight_{0};
};

}  // namespace s3co::testing
