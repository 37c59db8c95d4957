// The request and response a client sends and receives: plain values, owned
// by whoever holds them, independent of Beast so that test doubles and other
// transports can use them.
//
// A request's body is re-sent from its start on each attempt: a string body
// is kept in the request, a file body is reopened. `authorize` runs before
// every attempt with the local time of the attempt, so a retried request
// carries a fresh signature (a protocol layer that knows the server's clock
// corrects the time itself). `classify` lets that layer read its own error
// codes from an answer for the retry decision; without it, the status alone
// decides (aws/retry_policy.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

#include "s3co/aws/amz_time.hpp"
#include "s3co/aws/retry_policy.hpp"
#include "s3co/aws/http_method.hpp"
#include "s3co/detail/text.hpp"
#include "s3co/error.hpp"

namespace s3co::http {

using aws::http_method;

struct http_header {
  std::string name{};
  std::string value{};
};

struct response;

struct file_body {
  std::string path{};
};

// Bytes the request does not own: whoever sends it keeps them alive until
// the send completes (a buffer reused for the next request, not reallocated).
struct borrowed_body {
  std::string_view bytes{};
};

using request_body = std::variant<std::monostate, std::string, borrowed_body, file_body>;

// The bytes of an in-memory body, owned or borrowed; nullopt for none or a file.
std::optional<std::string_view> in_memory_bytes(const request_body& body) noexcept;

struct request {
  http_method method = http_method::get;
  std::string scheme = "https";  // "http" or "https"
  std::string host{};              // name or address, without port or brackets
  std::uint16_t port = 443;
  std::string authority{};         // the Host header: host[:port]
  std::string target{};            // encoded path and query
  std::vector<http_header> headers{};  // besides Host and Content-Length
  request_body body{};
  // Where a GET's body goes: empty for memory, else a file path.
  std::string response_file{};
  // Adds authentication headers for one attempt; may be empty.
  std::function<void(request&, aws::utc_time_point)> authorize{};
  // How the retry policy sees an answer; may be empty.
  std::function<aws::failure_kind(const response&)> classify{};

  // For logs and errors: method, scheme, authority and path, never the query
  // (it may hold a presigned signature) and never a header.
  std::string describe() const;
};

struct response {
  unsigned status = 0;
  std::vector<http_header> headers{};
  std::string body{};  // empty when the body went to request::response_file
  int attempts = 1;  // how many attempts it took

  bool ok() const noexcept { return status >= 200 && status < 300; }
  // The first header with this name (case-insensitive), or empty.
  std::string_view header(std::string_view name) const noexcept;
};

// No usable HTTP answer: connection failures, timeouts, TLS errors, a body
// over the limit. The message names the request (see request::describe) and
// the cause; system_code() is the underlying error.
class transport_error : public s3co::error {
 public:
  transport_error(std::error_code code, std::string operation, const std::string& what, int attempts, bool retryable)
      : s3co::error(what + ": " + code.message(),
                    {.operation = std::move(operation), .retryable = retryable, .attempts = attempts}),
        system_code_(code) {}
  // For transports of one's own (test doubles): `what` names the operation too.
  transport_error(std::error_code code, const std::string& what, int attempts)
      : transport_error(code, what, what, attempts, false) {}
  std::error_code system_code() const noexcept { return system_code_; }

 private:
  std::error_code system_code_;
};

// ---------------------------------------------------------------------------

inline std::optional<std::string_view> in_memory_bytes(const request_body& body) noexcept {
  if (const auto* owned = std::get_if<std::string>(&body)) return std::string_view(*owned);
  if (const auto* borrowed = std::get_if<borrowed_body>(&body)) return borrowed->bytes;
  return std::nullopt;
}

inline std::string request::describe() const {
  std::string text(aws::method_name(method));
  text.append(" ").append(scheme).append("://").append(authority);
  text.append(target.substr(0, target.find('?')));
  return text;
}

inline std::string_view response::header(std::string_view name) const noexcept {
  for (const auto& header : headers) {
    if (s3co::detail::equals_ignoring_ascii_case(header.name, name)) return header.value;
  }
  return {};
}

}  // namespace s3co::http
