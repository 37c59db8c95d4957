// What the network providers share: a URL taken apart into a request, and
// one HTTP exchange on a short-lived client with the provider's own timeouts
// and attempts.
//
// Each fetch makes its own http::client on the caller's executor (the
// providers' timeouts differ from S3's, and a refresh runs on its own
// thread), which lives for that fetch only. Transport failures become
// provider_error naming the provider and the request (method, host, path:
// never a header, where tokens travel).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "s3co/aws/config_error.hpp"
#include "s3co/aws/endpoint.hpp"
#include "s3co/aws/environment.hpp"
#include "s3co/credentials/provider_error.hpp"
#include "s3co/http/client.hpp"
#include "s3co/http/message.hpp"

namespace s3co::credentials {

// A URL as a request: scheme, host (no brackets), port, Host header and
// target (path and query). Throws aws::config_error naming `field`.
struct parsed_url {
  aws::s3_endpoint endpoint;  // scheme, host, port
  std::string target;         // "/" at least
};
parsed_url parse_url(std::string_view url, const std::string& field);

http::request request_to(const parsed_url& url, http::http_method method, std::string_view path_and_query);

struct fetch_limits {
  std::chrono::milliseconds timeout{5000};  // connect, and one attempt
  int attempts = 3;
  std::chrono::milliseconds backoff{100};  // base of the exponential backoff between attempts
  std::size_t max_body = 64 * 1024;
};

// Sends `request` and returns the answer, whatever its status; a failure to
// get one is a provider_error (retryable) naming `provider`.
boost::asio::awaitable<http::response> fetch(boost::asio::any_io_executor executor, fetch_limits limits,
                                             http::request request, std::string provider);


// ---------------------------------------------------------------------------

inline parsed_url parse_url(std::string_view url, const std::string& field) {
  const auto scheme_end = url.find("://");
  const std::size_t authority_start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  const auto path_start = url.find_first_of("/?#", authority_start);
  parsed_url parsed;
  parsed.endpoint = aws::parse_endpoint_url(url.substr(0, path_start), field);
  parsed.target = path_start == std::string_view::npos ? "/" : std::string(url.substr(path_start));
  if (!parsed.target.empty() && parsed.target.front() != '/') parsed.target.insert(0, "/");
  if (const auto fragment = parsed.target.find('#'); fragment != std::string::npos) parsed.target.resize(fragment);
  return parsed;
}

inline http::request request_to(const parsed_url& url, http::http_method method, std::string_view path_and_query) {
  http::request request;
  request.method = method;
  request.scheme = url.endpoint.scheme;
  std::string_view host = url.endpoint.host;
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  request.host = host;
  request.port = url.endpoint.port.value_or(url.endpoint.scheme == "https" ? 443 : 80);
  request.authority = url.endpoint.authority();
  request.target = path_and_query;
  return request;
}

inline boost::asio::awaitable<http::response> fetch(boost::asio::any_io_executor executor, fetch_limits limits,
                                                    http::request request, std::string provider) {
  http::client_options options;
  options.connect_timeout = limits.timeout;
  options.request_timeout = limits.timeout;
  options.max_response_body = limits.max_body;
  options.retry.max_attempts = limits.attempts;
  options.retry.base_delay = limits.backoff;
  if (auto bundle = aws::environment_value("AWS_CA_BUNDLE")) options.tls.ca_file = std::move(*bundle);
  http::client client(std::move(executor), std::move(options));
  const std::string description = request.describe();
  try {
    co_return co_await client.send(std::move(request));
  } catch (const http::transport_error& failed) {
    throw provider_error(provider, description + " got no answer: " + failed.system_code().message(), 0, true);
  }
}

}  // namespace s3co::credentials
