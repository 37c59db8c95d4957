// SigV4 header signing for S3 requests: the Authorization, x-amz-date,
// x-amz-content-sha256 and (temporary credentials) x-amz-security-token
// headers that botocore's S3SigV4Auth computes for the same request.
//
// The caller gives the already-encoded path and a query built with
// `canonical_query_string`, which is both the signed form and a valid URL
// query, so the request line and the signature cannot disagree. The signer
// owns Host, X-Amz-Date, X-Amz-Content-SHA256, X-Amz-Security-Token and
// Authorization: a caller's header of one of those names is refused, as is a
// header name that is not an HTTP token or a value holding CR, LF or NUL (it
// would smuggle a second header past the signature). Like the presigner, a
// header_signer is not synchronised: one per thread.
#pragma once

#include <algorithm>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "s3co/aws/amz_time.hpp"
#include "s3co/aws/config_error.hpp"
#include "s3co/aws/credentials.hpp"
#include "s3co/aws/http_method.hpp"
#include "s3co/aws/region.hpp"
#include "s3co/aws/sha256.hpp"
#include "s3co/aws/signing_key.hpp"
#include "s3co/aws/uri_encoding.hpp"
#include "s3co/detail/text.hpp"

namespace s3co::aws {

inline constexpr std::string_view unsigned_payload = "UNSIGNED-PAYLOAD";
inline constexpr std::string_view empty_payload_sha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct query_parameter {
  std::string name{};   // raw
  std::string value{};  // raw; empty for a bare flag such as `uploads`
};

// Encodes and sorts the parameters: `a=1&b=&c=x%2Fy`.
std::string canonical_query_string(std::vector<query_parameter> parameters);

// A header to sign, as the caller will send it.
struct header_field {
  std::string name{};
  std::string value{};
};

// Whether the signer sets this header itself (name in any case).
bool is_signer_owned_header(std::string_view name) noexcept;

// Throws config_error naming the header when the signer must refuse it (see
// above).
void validate_header_to_sign(const header_field& header);

struct header_signing_input {
  http_method method = http_method::get;
  std::string_view authority{};        // the Host header
  std::string_view encoded_path{};     // e.g. "/bucket/key%20name"
  std::string_view canonical_query{};  // from canonical_query_string, or empty
  std::span<const header_field> headers{};  // further headers to sign (content-type, range, ...)
  std::string_view payload_sha256 = unsigned_payload;  // hex digest or UNSIGNED-PAYLOAD
  utc_time_point at{};
};

struct signature_headers {
  std::string authorization{};
  std::string amz_date{};
  std::string content_sha256{};
  std::string security_token{};  // empty unless the credentials carry one
};

class header_signer {
 public:
  // `service` is the signing scope's service: "s3", or "sts" for STS calls.
  header_signer(credentials creds, std::string region, std::string service = "s3");

  signature_headers sign(const header_signing_input& input);

 private:
  signing_key_cache keys_;
  std::string session_token_;
};

// ---------------------------------------------------------------------------

namespace detail {

// Header values are trimmed and inner runs of spaces collapsed, as SigV4 says.
inline void append_canonical_header_value(std::string& out, std::string_view value) {
  bool pending_space = false;
  bool started = false;
  for (const char c : value) {
    if (c == ' ' || c == '\t') {
      pending_space = started;
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    started = true;
    out.push_back(c);
  }
}

inline bool is_token_char(char c) noexcept {
  // RFC 9110 tchar.
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

}  // namespace detail

inline bool is_signer_owned_header(std::string_view name) noexcept {
  constexpr std::string_view signer_owned[] = {"host", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token",
                                               "authorization"};
  for (const auto owned : signer_owned) {
    if (s3co::detail::equals_ignoring_ascii_case(name, owned)) return true;
  }
  return false;
}

inline void validate_header_to_sign(const header_field& header) {
  if (header.name.empty()) throw config_error("header", "has an empty name");
  for (const char c : header.name) {
    if (!detail::is_token_char(c)) throw config_error("header " + header.name, "has a name that is not an HTTP token");
  }
  if (is_signer_owned_header(header.name)) {
    throw config_error("header " + header.name, "is set by the signer, not by the caller");
  }
  if (header.value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
    throw config_error("header " + header.name, "has a value with CR, LF or NUL");
  }
}

inline std::string canonical_query_string(std::vector<query_parameter> parameters) {
  for (auto& parameter : parameters) {
    parameter.name = uri_encoded(parameter.name);
    parameter.value = uri_encoded(parameter.value);
  }
  std::sort(parameters.begin(), parameters.end(), [](const query_parameter& a, const query_parameter& b) {
    return a.name != b.name ? a.name < b.name : a.value < b.value;
  });
  std::string query;
  for (const auto& parameter : parameters) {
    if (!query.empty()) query.push_back('&');
    query.append(parameter.name).append("=").append(parameter.value);
  }
  return query;
}

inline header_signer::header_signer(credentials creds, std::string region, std::string service)
    : keys_(creds.access_key_id, creds.secret_access_key, std::move(region), std::move(service)),
      session_token_(creds.session_token) {
  validate_credentials(creds, "signer credentials");
  validate_region(keys_.region(), "region");
}

inline signature_headers header_signer::sign(const header_signing_input& input) {
  const amz_timestamp timestamp(input.at);
  const scoped_signing_key& key = keys_.for_date(timestamp.date());

  signature_headers result;
  result.amz_date = timestamp.text();
  result.content_sha256 = input.payload_sha256;
  result.security_token = session_token_;

  std::vector<header_field> headers;
  headers.reserve(input.headers.size() + 4);
  headers.push_back({"host", std::string(input.authority)});
  headers.push_back({"x-amz-content-sha256", result.content_sha256});
  headers.push_back({"x-amz-date", result.amz_date});
  if (!session_token_.empty()) headers.push_back({"x-amz-security-token", session_token_});
  for (const auto& header : input.headers) {
    validate_header_to_sign(header);
    headers.push_back({s3co::detail::lower_ascii(header.name), header.value});
  }
  std::stable_sort(headers.begin(), headers.end(),
                   [](const header_field& a, const header_field& b) { return a.name < b.name; });

  std::string canonical_headers;
  std::string signed_header_names;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const bool continues_previous = i > 0 && headers[i].name == headers[i - 1].name;
    if (continues_previous) {
      // Repeated headers join with ',' on one canonical line.
      canonical_headers.back() = ',';
    } else {
      canonical_headers.append(headers[i].name).push_back(':');
      if (!signed_header_names.empty()) signed_header_names.push_back(';');
      signed_header_names.append(headers[i].name);
    }
    detail::append_canonical_header_value(canonical_headers, headers[i].value);
    canonical_headers.push_back('\n');
  }

  sha256 canonical_request;
  canonical_request.update(method_name(input.method))
      .update("\n")
      .update(input.encoded_path)
      .update("\n")
      .update(input.canonical_query)
      .update("\n")
      .update(canonical_headers)
      .update("\n")
      .update(signed_header_names)
      .update("\n")
      .update(input.payload_sha256);

  result.authorization.reserve(200);
  result.authorization.append(sigv4_algorithm)
      .append(" Credential=")
      .append(key.credential)
      .append(", SignedHeaders=")
      .append(signed_header_names)
      .append(", Signature=");
  append_signature(result.authorization, key, timestamp, canonical_request.finish());
  return result;
}

}  // namespace s3co::aws
