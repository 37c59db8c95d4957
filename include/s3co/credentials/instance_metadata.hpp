// EC2 instance metadata (IMDSv2): the instance role's credentials and the
// instance's region.
//
//   PUT  /latest/api/token                        X-aws-ec2-metadata-token-ttl-seconds: 21600
//   GET  /latest/meta-data/iam/security-credentials/        X-aws-ec2-metadata-token: <token>
//   GET  /latest/meta-data/iam/security-credentials/<role>  → {"Code":"Success","AccessKeyId",…}
//   GET  /latest/meta-data/placement/region
//
// - The token is reused until its TTL runs out (a minute early, or a tenth of
//   a short TTL); a 401 means it is no longer valid, so a new one is fetched
//   and the request made once more.
// - Each request: 1 s timeouts, one retry.
// - AWS_EC2_METADATA_DISABLED=true skips the provider;
//   AWS_EC2_METADATA_SERVICE_ENDPOINT points it elsewhere, else
//   AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6 picks http://[fd00:ec2::254].
// - No IMDSv1 (requests without a token) unless `allow_imdsv1` asks for it:
//   then a token PUT answered 403, 404 or 405 falls back to v1.
//
// Ownership: an instance_metadata_client holds the token between fetches; a
// refresh keeps one client for its whole life. It is not synchronised: one
// fetch at a time.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "s3co/aws/credentials.hpp"
#include "s3co/aws/environment.hpp"
#include "s3co/credentials/credentials_json.hpp"
#include "s3co/credentials/http_fetch.hpp"
#include "s3co/credentials/provider_error.hpp"
#include "s3co/detail/text.hpp"

namespace s3co::credentials {

inline constexpr std::string_view instance_metadata_provider_name = "instance metadata";

struct instance_metadata_options {
  std::string endpoint{};  // empty: from the environment (see above)
  std::chrono::seconds token_ttl{21600};
  std::chrono::milliseconds timeout{1000};
  int attempts = 2;
  bool allow_imdsv1 = false;
};

// AWS_EC2_METADATA_DISABLED is "true" (any case).
bool instance_metadata_disabled();

class instance_metadata_client {
 public:
  explicit instance_metadata_client(instance_metadata_options options = instance_metadata_options());

  boost::asio::awaitable<aws::credentials> fetch_credentials(boost::asio::any_io_executor executor);
  boost::asio::awaitable<std::string> fetch_region(boost::asio::any_io_executor executor);

  // The body of GET `path` (e.g. "/latest/meta-data/placement/region").
  boost::asio::awaitable<std::string> get(boost::asio::any_io_executor executor, std::string path);

  std::size_t tokens_fetched() const noexcept { return tokens_fetched_; }
  const parsed_url& endpoint() const noexcept { return endpoint_; }

 private:
  boost::asio::awaitable<void> renew_token(boost::asio::any_io_executor executor);
  fetch_limits limits() const { return {.timeout = options_.timeout, .attempts = options_.attempts}; }

  instance_metadata_options options_;
  parsed_url endpoint_;
  std::string token_;  // empty: none yet, or IMDSv1
  bool v1_ = false;
  std::chrono::steady_clock::time_point token_renew_at_{};
  std::size_t tokens_fetched_ = 0;
};

// ---------------------------------------------------------------------------

inline bool instance_metadata_disabled() {
  const auto value = aws::environment_value("AWS_EC2_METADATA_DISABLED");
  return value && s3co::detail::lower_ascii(*value) == "true";
}

inline instance_metadata_client::instance_metadata_client(instance_metadata_options options)
    : options_(std::move(options)) {
  std::string field = "endpoint";
  std::string url = options_.endpoint;
  if (url.empty()) {
    if (auto configured = aws::environment_value("AWS_EC2_METADATA_SERVICE_ENDPOINT")) {
      url = std::move(*configured);
      field = "AWS_EC2_METADATA_SERVICE_ENDPOINT";
    } else if (auto mode = aws::environment_value("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
               mode && s3co::detail::lower_ascii(*mode) == "ipv6") {
      url = "http://[fd00:ec2::254]";
    } else {
      url = "http://169.254.169.254";
    }
  }
  try {
    endpoint_ = parse_url(url, field);
  } catch (const aws::config_error& bad) {
    throw aws::config_error(std::string(instance_metadata_provider_name), bad.what());
  }
  // The paths below are absolute: a trailing slash in the endpoint is not part of them.
  endpoint_.target.clear();
}

inline boost::asio::awaitable<void> instance_metadata_client::renew_token(boost::asio::any_io_executor executor) {
  const std::string provider(instance_metadata_provider_name);
  http::request request = request_to(endpoint_, http::http_method::put, "/latest/api/token");
  request.headers.push_back({"x-aws-ec2-metadata-token-ttl-seconds", std::to_string(options_.token_ttl.count())});
  const auto asked_at = std::chrono::steady_clock::now();
  const http::response answer = co_await fetch(executor, limits(), std::move(request), provider);
  if (answer.status == 200 && !answer.body.empty()) {
    token_ = answer.body;
    v1_ = false;
    ++tokens_fetched_;
    const auto ttl = std::chrono::duration_cast<std::chrono::steady_clock::duration>(options_.token_ttl);
    token_renew_at_ = asked_at + ttl - std::min<std::chrono::steady_clock::duration>(std::chrono::minutes(1), ttl / 10);
    co_return;
  }
  const bool v1_signal = answer.status == 403 || answer.status == 404 || answer.status == 405;
  if (v1_signal && options_.allow_imdsv1) {
    token_.clear();
    v1_ = true;
    co_return;
  }
  throw provider_error(provider,
                       "PUT /latest/api/token answered HTTP " + std::to_string(answer.status) +
                           (v1_signal ? " (IMDSv2 unavailable; IMDSv1 is used only when allow_imdsv1 asks for it)"
                                      : std::string()),
                       answer.status, answer.status >= 500);
}

inline boost::asio::awaitable<std::string> instance_metadata_client::get(boost::asio::any_io_executor executor,
                                                                         std::string path) {
  const std::string provider(instance_metadata_provider_name);
  for (int round = 0;; ++round) {
    if (!v1_ && (token_.empty() || std::chrono::steady_clock::now() >= token_renew_at_)) co_await renew_token(executor);
    http::request request = request_to(endpoint_, http::http_method::get, path);
    if (!v1_) request.headers.push_back({"x-aws-ec2-metadata-token", token_});
    const http::response answer = co_await fetch(executor, limits(), std::move(request), provider);
    if (answer.status == 200) co_return answer.body;
    if (answer.status == 401 && round == 0 && !v1_) {
      token_.clear();  // refused before its TTL ran out: take a new one, once
      continue;
    }
    throw provider_error(provider, "GET " + path + " answered HTTP " + std::to_string(answer.status), answer.status,
                         answer.status >= 500);
  }
}

inline boost::asio::awaitable<aws::credentials> instance_metadata_client::fetch_credentials(
    boost::asio::any_io_executor executor) {
  const std::string provider(instance_metadata_provider_name);
  const std::string base = "/latest/meta-data/iam/security-credentials/";
  const std::string roles = co_await get(executor, base);
  const std::string_view role = aws::detail::trim_blank(std::string_view(roles).substr(0, roles.find('\n')));
  if (role.empty()) throw provider_error(provider, "the instance has no IAM role (" + base + " is empty)");
  for (const char c : role) {
    if (c == '/' || c == '?' || c == '#' || c == '%' || c <= ' ') {
      throw provider_error(provider, "the role name in " + base + " is not a path segment");
    }
  }
  const std::string body = co_await get(executor, base + std::string(role));
  if (const auto members = parse_flat_json_object(body)) {
    const auto code = members->find("Code");
    if (code != members->end() && code->second != "Success") {
      throw provider_error(provider, "the credentials answer has Code " + quote_error_body(code->second));
    }
  }
  co_return credentials_from_json(body, provider, {.session_token = "Token"}, false);
}

inline boost::asio::awaitable<std::string> instance_metadata_client::fetch_region(
    boost::asio::any_io_executor executor) {
  std::string region = co_await get(executor, "/latest/meta-data/placement/region");
  co_return std::string(aws::detail::trim_blank(region));
}

}  // namespace s3co::credentials
