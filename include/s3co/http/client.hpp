// An HTTP/1.1 client on Boost.Beast for S3-style request/response traffic.
//
// - Keep-alive: one pool of idle connections per (scheme, host, port); a
//   connection is used by one request at a time and returned to the pool
//   when the server keeps it open. A pooled connection that the server has
//   meanwhile closed is replaced once, without counting an attempt.
// - TLS (https): peer verification, SNI and host-name checks (see tls.hpp).
// - Every attempt has a connect timeout and a total timeout; a response body
//   over `max_response_body` is an error, not unbounded memory.
// - Retries follow aws/retry_policy.hpp (standard mode), re-signing each
//   attempt through request::authorize. An answer is classified by its
//   status, or by request::classify where the protocol layer (S3) reads its
//   error codes; an answer classified as clock skew is retried once, at once
//   (the classifier has corrected its clock).
// - Errors name the request by method, host and path only: no query, no
//   header, so no signature or token reaches a log.
//
// Ownership: the client owns its pool and TLS context and must outlive every
// send() it started. send() takes the request by value and may run on any
// thread of the executor's context; the client is safe to share.
//
// Beast lives in impl/client.ipp only: this header declares the client, and
// the definitions follow inline unless S3CO_SEPARATE_COMPILATION is defined
// (detail/config.hpp), when s3co/src.hpp compiles them once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "s3co/aws/retry_policy.hpp"
#include "s3co/detail/config.hpp"
#include "s3co/http/message.hpp"
#include "s3co/http/tls_options.hpp"

namespace s3co::http {

struct client_options {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds request_timeout{120'000};  // one attempt: send and receive
  std::size_t max_response_body = 64 * 1024 * 1024;    // in-memory bodies only
  std::size_t max_idle_connections_per_host = 64;
  aws::retry_config retry = aws::retry_config();
  tls_options tls = tls_options();
  std::string user_agent = "s3co/0.1";
};

class client {
 public:
  explicit client(boost::asio::any_io_executor executor) : client(std::move(executor), default_options()) {}
  client(boost::asio::any_io_executor executor, client_options options);
  ~client();

  client(const client&) = delete;
  client& operator=(const client&) = delete;

  // Sends `req`, retrying as configured. Returns the last answer, whatever
  // its status; throws transport_error when there was none.
  boost::asio::awaitable<response> send(request req);

  const client_options& options() const noexcept { return options_; }
  int retry_tokens() const noexcept { return quota_.available(); }
  std::size_t connections_opened() const noexcept { return connections_opened_.load(); }

 private:
  // (A default argument `= {}` trips g++ 12's -Wmaybe-uninitialized.)
  static client_options default_options() { return client_options(); }

  struct connection;  // one keep-alive connection, plain or TLS
  struct pool;        // the TLS context and the idle connections per host
  using connection_ptr = std::unique_ptr<connection>;

  boost::asio::awaitable<response> attempt(const request& req);
  boost::asio::awaitable<connection_ptr> connect(const request& req, std::string key);
  connection_ptr take_idle(const std::string& key);
  void put_idle(connection_ptr conn);

  boost::asio::any_io_executor executor_;
  client_options options_;
  aws::retry_quota quota_;
  std::atomic<std::size_t> connections_opened_{0};
  std::unique_ptr<pool> pool_;
};

}  // namespace s3co::http

#if !defined(S3CO_SEPARATE_COMPILATION)
#include "s3co/http/impl/client.ipp"
#endif
