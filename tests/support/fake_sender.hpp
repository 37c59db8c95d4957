// A RequestSender for unit tests: answers from a handler in memory and keeps
// every request it saw (after signing, as a real transport would send it).
#pragma once

#include <functional>
#include <mutex>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "s3co/aws/amz_time.hpp"
#include "s3co/http/message.hpp"

namespace s3co::testing {

class fake_sender {
 public:
  using handler = std::function<http::response(const http::request&)>;
  explicit fake_sender(handler answer) : answer_(std::move(answer)) {}

  boost::asio::awaitable<http::response> send(http::request request) {
    if (request.authorize) request.authorize(request, std::chrono::system_clock::now());
    http::response response = answer_(request);
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(std::move(request));
    }
    co_return response;
  }

  std::vector<http::request> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  handler answer_;
  mutable std::mutex mutex_;
  std::vector<http::request> requests_;
};

inline http::response answer(unsigned status, std::string body = {}, std::vector<http::http_header> headers = {}) {
  http::response response;
  response.status = status;
  response.body = std::move(body);
  response.headers = std::move(headers);
  return response;
}

}  // namespace s3co::testing
