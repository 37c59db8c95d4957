// STS over its query API: AssumeRoleWithWebIdentity (EKS IRSA, and profiles
// with web_identity_token_file) and AssumeRole (profiles with role_arn and
// source_profile), each answered with XML read by pugixml.
//
//   POST / HTTP/1.1  Content-Type: application/x-www-form-urlencoded; charset=utf-8
//   Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=…&RoleSessionName=…&WebIdentityToken=…
//
// - The endpoint is the regional one, https://sts.<region>.amazonaws.com;
//   AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, the profile's services section
//   and its endpoint_url override it, in that order (aws/shared_config.hpp).
// - AssumeRoleWithWebIdentity is unsigned, as in the SDKs: the token is the
//   proof. The token file is read again at every call, since Kubernetes
//   rotates it. AssumeRole is SigV4-signed (service "sts") with the source
//   credentials.
// - An error answer (<ErrorResponse><Error><Code>…) is a provider_error with
//   the code, STS's message and the HTTP status; the request's body (which
//   holds the token) never reaches a message.
//
// The argument structs are plain values a call copies.
#pragma once

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <pugixml.hpp>

#include "s3co/aws/credentials.hpp"
#include "s3co/aws/header_signer.hpp"
#include "s3co/aws/region.hpp"
#include "s3co/aws/sha256.hpp"
#include "s3co/aws/shared_config.hpp"
#include "s3co/aws/uri_encoding.hpp"
#include "s3co/credentials/credentials_json.hpp"
#include "s3co/credentials/http_fetch.hpp"
#include "s3co/credentials/provider_error.hpp"

namespace s3co::credentials {

struct sts_endpoint {
  parsed_url url;
  std::string region;  // the signing region of AssumeRole
  fetch_limits limits{.timeout = std::chrono::seconds(10)};  // STS can be slow to answer; 3 attempts
};

// The STS endpoint for `region` as configured for `profile`.
sts_endpoint resolve_sts_endpoint(const aws::shared_config& config, const std::string& profile, std::string region);

struct web_identity_settings {
  std::string provider{"web identity"};  // names the provider in errors and logs
  std::string role_arn{};
  std::string session_name{};  // empty: s3co-session-<unix time>
  std::string token_file{};
};

struct assume_role_settings {
  std::string provider{"assume role"};
  std::string role_arn{};
  std::string session_name{};
  std::string external_id{};
  std::optional<int> duration_seconds{};
};

boost::asio::awaitable<aws::credentials> assume_role_with_web_identity(boost::asio::any_io_executor executor,
                                                                      sts_endpoint endpoint,
                                                                      web_identity_settings settings);

boost::asio::awaitable<aws::credentials> assume_role(boost::asio::any_io_executor executor, sts_endpoint endpoint,
                                                    assume_role_settings settings, aws::credentials source);

// Reads the credentials from an STS answer; `action` is "AssumeRole" or
// "AssumeRoleWithWebIdentity".
aws::credentials parse_sts_credentials(std::string_view body, std::string_view action, const std::string& provider);

// ---------------------------------------------------------------------------

namespace detail {

inline std::string form_field(std::string_view name, std::string_view value) {
  std::string field(name);
  field.push_back('=');
  aws::append_uri_encoded(field, value, aws::slash_handling::encode);
  return field;
}

inline std::string default_session_name() {
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  return "s3co-session-" + std::to_string(seconds);
}

inline std::string read_web_identity_token(const web_identity_settings& settings) {
  std::ifstream file(settings.token_file);
  if (!file) throw provider_error(settings.provider, "the web identity token file " + settings.token_file + " cannot be read");
  std::ostringstream text;
  text << file.rdbuf();
  std::string token(aws::detail::trim_blank(text.str()));
  if (token.empty()) throw provider_error(settings.provider, "the web identity token file " + settings.token_file + " is empty");
  return token;
}

inline http::request sts_post(const sts_endpoint& endpoint, std::string body) {
  http::request request = request_to(endpoint.url, http::http_method::post, endpoint.url.target);
  request.headers.push_back({"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"});
  request.body = std::move(body);
  return request;
}

inline boost::asio::awaitable<aws::credentials> call_sts(boost::asio::any_io_executor executor, fetch_limits limits,
                                                         http::request request, std::string action,
                                                         std::string provider) {
  const std::string description = request.describe();
  const http::response answer = co_await fetch(std::move(executor), limits, std::move(request), provider);
  if (answer.status != 200) {
    pugi::xml_document document;
    std::string problem = action + " at " + description + " answered HTTP " + std::to_string(answer.status);
    if (document.load_buffer(answer.body.data(), answer.body.size())) {
      const pugi::xml_node error = document.child("ErrorResponse").child("Error");
      const std::string code = error.child_value("Code");
      const std::string message = error.child_value("Message");
      if (!code.empty()) problem += " " + quote_error_body(code);
      if (!message.empty()) problem += ": " + quote_error_body(message);
    }
    throw provider_error(provider, problem, answer.status, answer.status >= 500 || answer.status == 429);
  }
  co_return parse_sts_credentials(answer.body, action, provider);
}

}  // namespace detail

inline sts_endpoint resolve_sts_endpoint(const aws::shared_config& config, const std::string& profile,
                                         std::string region) {
  sts_endpoint endpoint;
  endpoint.region = std::move(region);
  if (const auto configured = aws::configured_endpoint_url(config, profile, "sts")) {
    endpoint.url = parse_url(configured->url, configured->field);
  } else {
    aws::validate_region(endpoint.region, "region");
    endpoint.url = parse_url("https://sts." + endpoint.region + ".amazonaws.com", "STS endpoint");
  }
  return endpoint;
}

inline aws::credentials parse_sts_credentials(std::string_view body, std::string_view action,
                                              const std::string& provider) {
  pugi::xml_document document;
  if (!document.load_buffer(body.data(), body.size())) throw provider_error(provider, "the STS answer is not XML");
  const std::string response_name = std::string(action) + "Response";
  const std::string result_name = std::string(action) + "Result";
  const pugi::xml_node found = document.child(response_name.c_str()).child(result_name.c_str()).child("Credentials");
  if (!found) throw provider_error(provider, "the STS answer has no " + response_name + "/" + result_name + "/Credentials");
  aws::credentials creds;
  creds.access_key_id = found.child_value("AccessKeyId");
  creds.secret_access_key = found.child_value("SecretAccessKey");
  creds.session_token = found.child_value("SessionToken");
  const std::string expiration = found.child_value("Expiration");
  if (creds.access_key_id.empty()) throw provider_error(provider, "the STS answer has no AccessKeyId");
  if (creds.secret_access_key.empty()) throw provider_error(provider, "the STS answer has no SecretAccessKey");
  if (creds.session_token.empty()) throw provider_error(provider, "the STS answer has no SessionToken");
  creds.expiration = parse_expiration(expiration);
  if (!creds.expiration) throw provider_error(provider, "the STS answer's Expiration is missing or not an ISO 8601 time");
  try {
    aws::validate_credentials(creds, provider);
  } catch (const aws::config_error& bad) {
    throw provider_error(provider, std::string(bad.what()).substr(provider.size() + 2));
  }
  return creds;
}

inline boost::asio::awaitable<aws::credentials> assume_role_with_web_identity(boost::asio::any_io_executor executor,
                                                                             sts_endpoint endpoint,
                                                                             web_identity_settings settings) {
  const std::string token = detail::read_web_identity_token(settings);
  const std::string session = settings.session_name.empty() ? detail::default_session_name() : settings.session_name;
  std::string body = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15";
  body.append("&").append(detail::form_field("RoleArn", settings.role_arn));
  body.append("&").append(detail::form_field("RoleSessionName", session));
  body.append("&").append(detail::form_field("WebIdentityToken", token));
  http::request request = detail::sts_post(endpoint, std::move(body));
  std::string action = "AssumeRoleWithWebIdentity";
  co_return co_await detail::call_sts(std::move(executor), endpoint.limits, std::move(request), std::move(action),
                                     settings.provider);
}

inline boost::asio::awaitable<aws::credentials> assume_role(boost::asio::any_io_executor executor, sts_endpoint endpoint,
                                                           assume_role_settings settings, aws::credentials source) {
  const std::string session = settings.session_name.empty() ? detail::default_session_name() : settings.session_name;
  std::string body = "Action=AssumeRole&Version=2011-06-15";
  body.append("&").append(detail::form_field("RoleArn", settings.role_arn));
  body.append("&").append(detail::form_field("RoleSessionName", session));
  if (!settings.external_id.empty()) body.append("&").append(detail::form_field("ExternalId", settings.external_id));
  if (settings.duration_seconds) {
    body.append("&").append(detail::form_field("DurationSeconds", std::to_string(*settings.duration_seconds)));
  }
  const std::string payload_hash = aws::to_hex(aws::sha256_of(body));
  http::request request = detail::sts_post(endpoint, std::move(body));
  // Signed at every attempt, so a retry carries a fresh signature.
  auto signer = std::make_shared<aws::header_signer>(source, endpoint.region, "sts");
  request.authorize = [signer, payload_hash](http::request& r, aws::utc_time_point now) {
    std::erase_if(r.headers, [](const http::http_header& h) { return aws::is_signer_owned_header(h.name); });
    const std::string_view target = r.target;
    const auto query_start = target.find('?');
    std::vector<aws::header_field> to_sign;
    for (const auto& header : r.headers) to_sign.push_back({header.name, header.value});
    aws::signature_headers signature = signer->sign(
        {aws::http_method::post, r.authority, target.substr(0, query_start),
         query_start == std::string_view::npos ? std::string_view{} : target.substr(query_start + 1), to_sign,
         payload_hash, now});
    r.headers.push_back({"x-amz-content-sha256", std::move(signature.content_sha256)});
    r.headers.push_back({"x-amz-date", std::move(signature.amz_date)});
    if (!signature.security_token.empty()) r.headers.push_back({"x-amz-security-token", std::move(signature.security_token)});
    r.headers.push_back({"Authorization", std::move(signature.authorization)});
  };
  std::string action = "AssumeRole";
  co_return co_await detail::call_sts(std::move(executor), endpoint.limits, std::move(request), std::move(action),
                                     settings.provider);
}

}  // namespace s3co::credentials
