// Container credentials: the endpoint ECS, Fargate and EKS Pod Identity
// give a task, as botocore's ContainerProvider reads it.
//
// - AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: GET http://169.254.170.2<uri>
//   (ECS, Fargate); it wins over
// - AWS_CONTAINER_CREDENTIALS_FULL_URI: any https URL, or plain http only to
//   a loopback address (127.0.0.0/8, ::1, localhost) or the ECS and EKS
//   link-local hosts 169.254.170.2, 169.254.170.23 and fd00:ec2::23.
// - The Authorization header: the contents of
//   AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (EKS Pod Identity rotates it, so
//   it is read again for every fetch), else AWS_CONTAINER_AUTHORIZATION_TOKEN.
// - The answer: {"AccessKeyId","SecretAccessKey","Token","Expiration"}.
//   Timeouts of 2 s, 3 attempts (botocore's), unless `limits` says otherwise.
//
// container_endpoint is a plain value; a fetch owns what it uses.
#pragma once

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "s3co/aws/config_error.hpp"
#include "s3co/aws/credentials.hpp"
#include "s3co/aws/environment.hpp"
#include "s3co/credentials/credentials_json.hpp"
#include "s3co/credentials/http_fetch.hpp"
#include "s3co/credentials/provider_error.hpp"

namespace s3co::credentials {

inline constexpr std::string_view container_provider_name = "container credentials";
inline constexpr std::string_view ecs_credentials_host = "169.254.170.2";

struct container_endpoint {
  parsed_url url;
  std::string token{};       // a fixed token (AWS_CONTAINER_AUTHORIZATION_TOKEN)
  std::string token_file{};  // read at every fetch; wins over `token`
  fetch_limits limits{.timeout = std::chrono::seconds(2), .attempts = 3};
};

// The endpoint the environment names, nullopt when neither URI variable is
// set; a forbidden host or a bad URL is an aws::config_error naming the
// provider and the variable.
std::optional<container_endpoint> container_endpoint_from_environment();

// Whether plain http may go to `host` (brackets allowed around IPv6).
bool is_allowed_container_host(std::string_view host);

boost::asio::awaitable<aws::credentials> fetch_container_credentials(boost::asio::any_io_executor executor,
                                                                    container_endpoint endpoint);

// ---------------------------------------------------------------------------

namespace detail {

inline bool is_ipv4_loopback(std::string_view host) {
  return aws::detail::is_ipv4_address(host) && host.starts_with("127.");
}

inline std::string read_token_file(const std::string& path) {
  std::ifstream file(path);
  if (!file) {
    throw provider_error(std::string(container_provider_name),
                         "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + path + " cannot be read");
  }
  std::ostringstream text;
  text << file.rdbuf();
  std::string token = text.str();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  return token;
}

inline void validate_token(std::string_view token, const char* field) {
  if (token.find_first_of("\r\n") != std::string_view::npos || token.find('\0') != std::string_view::npos) {
    throw aws::config_error(std::string(container_provider_name),
                            std::string(field) + " is not a legal header value (it holds a line break)");
  }
}

}  // namespace detail

inline bool is_allowed_container_host(std::string_view host) {
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  return detail::is_ipv4_loopback(host) || host == "::1" || host == "localhost" || host == ecs_credentials_host ||
         host == "169.254.170.23" || host == "fd00:ec2::23";
}

inline std::optional<container_endpoint> container_endpoint_from_environment() {
  const std::string provider(container_provider_name);
  container_endpoint endpoint;
  if (auto relative = aws::environment_value("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
    if (relative->front() != '/') {
      throw aws::config_error(provider, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must start with /");
    }
    endpoint.url = parse_url("http://" + std::string(ecs_credentials_host) + *relative,
                             "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  } else if (auto full = aws::environment_value("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
    try {
      endpoint.url = parse_url(*full, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    } catch (const aws::config_error& bad) {
      throw aws::config_error(provider, bad.what());
    }
    if (endpoint.url.endpoint.scheme == "http" && !is_allowed_container_host(endpoint.url.endpoint.host)) {
      throw aws::config_error(provider, "AWS_CONTAINER_CREDENTIALS_FULL_URI host " + endpoint.url.endpoint.host +
                                            " is not allowed (plain http goes only to a loopback address, "
                                            "169.254.170.2, 169.254.170.23 or fd00:ec2::23; use https)");
    }
  } else {
    return std::nullopt;
  }
  if (auto file = aws::environment_value("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
    endpoint.token_file = std::move(*file);
  } else if (auto token = aws::environment_value("AWS_CONTAINER_AUTHORIZATION_TOKEN")) {
    detail::validate_token(*token, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
    endpoint.token = std::move(*token);
  }
  return endpoint;
}

inline boost::asio::awaitable<aws::credentials> fetch_container_credentials(boost::asio::any_io_executor executor,
                                                                           container_endpoint endpoint) {
  const std::string provider(container_provider_name);
  std::string token = endpoint.token;
  if (!endpoint.token_file.empty()) {
    token = detail::read_token_file(endpoint.token_file);
    detail::validate_token(token, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE's token");
  }
  http::request request = request_to(endpoint.url, http::http_method::get, endpoint.url.target);
  request.headers.push_back({"Accept", "application/json"});
  if (!token.empty()) request.headers.push_back({"Authorization", token});
  const std::string description = request.describe();
  const http::response answer = co_await fetch(executor, endpoint.limits, std::move(request), provider);
  if (answer.status != 200) {
    throw provider_error(provider, description + " answered HTTP " + std::to_string(answer.status), answer.status,
                         answer.status >= 500);
  }
  co_return credentials_from_json(answer.body, provider, {.session_token = "Token"}, false);
}

}  // namespace s3co::credentials
