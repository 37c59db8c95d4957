// SigV4 query presigning for S3: the URL botocore's generate_presigned_url
// gives for the same inputs, byte for byte.
//
// The URL lists X-Amz-Algorithm, -Credential, -Date, -Expires,
// -SignedHeaders, then -Security-Token (temporary credentials only), then
// -Signature, as botocore does; only the signature sees the sorted canonical
// order. The canonical request is never materialised: its pieces are hashed
// straight from the URL being written, so a presign allocates nothing beyond
// growth of the output string (`append_presigned` reuses the caller's buffer).
//
// A presigner holds a signing-key cache and is not synchronised: use one per
// thread (copies are cheap).
#pragma once

#include <charconv>
#include <chrono>
#include <string>
#include <string_view>

#include "s3co/aws/amz_time.hpp"
#include "s3co/aws/config_error.hpp"
#include "s3co/aws/credentials.hpp"
#include "s3co/aws/endpoint.hpp"
#include "s3co/aws/http_method.hpp"
#include "s3co/aws/region.hpp"
#include "s3co/aws/sha256.hpp"
#include "s3co/aws/signing_key.hpp"
#include "s3co/aws/uri_encoding.hpp"

namespace s3co::aws {

inline constexpr std::chrono::seconds min_presign_expiry{1};
inline constexpr std::chrono::seconds max_presign_expiry{604800};  // seven days, S3's limit

// Throws config_error naming `field` unless 1 <= expiry <= 604800 s.
void validate_presign_expiry(std::chrono::seconds expiry, const std::string& field = "expiry_seconds");

struct presign_request {
  std::string_view bucket;
  std::string_view key;  // the object key, raw UTF-8
  std::chrono::seconds expires{3600};
  time_point at;         // when the URL starts to be valid
  http_method method = http_method::get;
};

class presigner {
 public:
  presigner(credentials creds, std::string region, s3_endpoint endpoint);

  std::string presign(const presign_request& request);
  void append_presigned(std::string& out, const presign_request& request);

  const s3_endpoint& endpoint() const noexcept { return endpoint_; }
  const signing_key_cache& key_cache() const noexcept { return keys_; }

 private:
  const bucket_address& address_of(std::string_view bucket);

  s3_endpoint endpoint_;
  signing_key_cache keys_;
  std::string encoded_session_token_;  // empty without a token
  std::string last_bucket_;
  bucket_address last_address_;
};

// ---------------------------------------------------------------------------

inline void validate_presign_expiry(std::chrono::seconds expiry, const std::string& field) {
  if (expiry < min_presign_expiry || expiry > max_presign_expiry) {
    throw config_error(field, std::to_string(expiry.count()) + " is outside 1..604800 seconds");
  }
}

inline presigner::presigner(credentials creds, std::string region, s3_endpoint endpoint)
    : endpoint_(std::move(endpoint)),
      keys_(creds.access_key_id, creds.secret_access_key, std::move(region), "s3"),
      encoded_session_token_(uri_encoded(creds.session_token)) {
  validate_credentials(creds, "presigner credentials");
  validate_region(keys_.region(), "region");
}

inline const bucket_address& presigner::address_of(std::string_view bucket) {
  if (last_address_.authority.empty() || bucket != last_bucket_) {
    last_address_ = address_bucket(endpoint_, bucket);
    last_bucket_ = bucket;
    // botocore presigns virtual-hosted URLs on AWS's global host whatever the
    // region (the scope still names the region), unless virtual hosting was
    // asked for explicitly.
    if (endpoint_.is_aws && endpoint_.addressing == addressing_style::automatic && last_address_.virtual_hosted) {
      last_address_.authority = last_bucket_ + ".s3.amazonaws.com";
    }
  }
  return last_address_;
}

inline std::string presigner::presign(const presign_request& request) {
  std::string url;
  append_presigned(url, request);
  return url;
}

inline void presigner::append_presigned(std::string& out, const presign_request& request) {
  validate_presign_expiry(request.expires, "expires");
  if (request.bucket.empty()) throw config_error("bucket", "must not be empty");
  if (request.key.empty()) throw config_error("key", "must not be empty");

  const amz_timestamp timestamp(request.at);
  const scoped_signing_key& key = keys_.for_date(timestamp.date());
  const bucket_address& address = address_of(request.bucket);

  out.append(address.scheme).append("://").append(address.authority);
  const std::size_t path_begin = out.size();
  out.append(address.path_prefix).push_back('/');
  append_uri_encoded(out, request.key, slash_handling::keep);
  const std::size_t path_end = out.size();

  out.append("?X-Amz-Algorithm=").append(sigv4_algorithm);
  const std::size_t query_begin = path_end + 1;
  out.append("&X-Amz-Credential=").append(key.encoded_credential);
  out.append("&X-Amz-Date=").append(timestamp.text());
  char expires[24];
  const auto expires_end = std::to_chars(expires, expires + sizeof expires, request.expires.count()).ptr;
  out.append("&X-Amz-Expires=").append(expires, expires_end);
  const std::size_t sorted_prefix_end = out.size();
  out.append("&X-Amz-SignedHeaders=host");
  if (!encoded_session_token_.empty()) out.append("&X-Amz-Security-Token=").append(encoded_session_token_);

  const std::string_view url = out;
  sha256 canonical_request;
  canonical_request.update(method_name(request.method))
      .update("\n")
      .update(url.substr(path_begin, path_end - path_begin))
      .update("\n")
      .update(url.substr(query_begin, sorted_prefix_end - query_begin));
  // Sorted order puts X-Amz-Security-Token before X-Amz-SignedHeaders.
  if (!encoded_session_token_.empty()) canonical_request.update("&X-Amz-Security-Token=").update(encoded_session_token_);
  canonical_request.update("&X-Amz-SignedHeaders=host\nhost:")
      .update(address.authority)
      .update("\n\nhost\nUNSIGNED-PAYLOAD");

  out.append("&X-Amz-Signature=");
  append_signature(out, key, timestamp, canonical_request.finish());
}

}  // namespace s3co::aws
