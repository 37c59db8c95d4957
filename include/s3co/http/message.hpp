// The request and response a client sends and receives: plain values, owned
// by whoever holds them, independent of Beast so that test doubles and other
// transports can use them.
//
// A request's body is re-sent from its start on each attempt: a string body
// is kept in the request, a file body is reopened. `authorize` runs before
// every attempt with the (skew-corrected) time, so a retried request carries
// a fresh signature.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

#include "s3co/aws/amz_time.hpp"
#include "s3co/aws/header_signer.hpp"
#include "s3co/aws/http_method.hpp"

namespace s3co::http {

using aws::http_header;
using aws::http_method;

struct file_body {
  std::string path;
};

using request_body = std::variant<std::monostate, std::string, file_body>;

struct request {
  http_method method = http_method::get;
  std::string scheme = "https";  // "http" or "https"
  std::string host;              // name or address, without port or brackets
  std::uint16_t port = 443;
  std::string authority;         // the Host header: host[:port]
  std::string target;            // encoded path and query
  std::vector<http_header> headers;  // besides Host and Content-Length
  request_body body;
  // Where a GET's body goes: empty for memory, else a file path.
  std::string response_file;
  // Adds authentication headers for one attempt; may be empty.
  std::function<void(request&, aws::time_point)> authorize;

  // For logs and errors: method, scheme, authority and path, never the query
  // (it may hold a presigned signature) and never a header.
  std::string describe() const;
};

struct response {
  unsigned status = 0;
  std::vector<http_header> headers;
  std::string body;  // empty when the body went to request::response_file
  int attempts = 1;  // how many attempts it took

  bool ok() const noexcept { return status >= 200 && status < 300; }
  // The first header with this name (case-insensitive), or empty.
  std::string_view header(std::string_view name) const noexcept;
};

// No usable HTTP answer: connection failures, timeouts, TLS errors, a body
// over the limit. The message names the request (see request::describe).
class transport_error : public std::system_error {
 public:
  transport_error(std::error_code code, const std::string& what, int attempts)
      : std::system_error(code, what), attempts_(attempts) {}
  int attempts() const noexcept { return attempts_; }

 private:
  int attempts_;
};

// ---------------------------------------------------------------------------

inline std::string request::describe() const {
  std::string text(aws::method_name(method));
  text.append(" ").append(scheme).append("://").append(authority);
  text.append(target.substr(0, target.find('?')));
  return text;
}

inline std::string_view response::header(std::string_view name) const noexcept {
  const auto same = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
      if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
  };
  for (const auto& header : headers) {
    if (same(header.name, name)) return header.value;
  }
  return {};
}

}  // namespace s3co::http
