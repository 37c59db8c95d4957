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
// On AWS, virtual-hosted URLs name the regional host
// (`bucket.s3.REGION.amazonaws.com`; `bucket.s3.amazonaws.com` in us-east-1
// only), as botocore does with addressing_style="virtual" and the JS SDK v3
// does. (botocore's default mode signs the global host for every region,
// which answers 307 for young buckets and does not serve opt-in regions.)
//
// A URL is valid from `presign_request::at`, by default the presigner's
// clock: the system clock plus an offset the owner sets once a server's time
// is known (`set_clock_offset`), so a machine whose clock is off still hands
// out live URLs.
//
// presign() is not const: it fills the signing-key cache (a new key each UTC
// day) and remembers the last bucket's address. A presigner is therefore not
// synchronised: use one per thread (copies are cheap).
//
// Made from live credentials (aws/live_credentials.hpp), a presigner follows
// their refreshes: before each URL it compares the version it signs with
// (one atomic load) and, when it changed, takes the new credentials and
// derives its key again. Credentials whose expiration has passed are never
// used: presign() throws credentials_expired instead.
#pragma once

#include <charconv>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "s3co/aws/amz_time.hpp"
#include "s3co/aws/config_error.hpp"
#include "s3co/aws/credentials.hpp"
#include "s3co/aws/endpoint.hpp"
#include "s3co/aws/http_method.hpp"
#include "s3co/aws/live_credentials.hpp"
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
  std::string_view bucket{};
  std::string_view key{};  // the object key, raw UTF-8
  std::chrono::seconds expires{3600};
  std::optional<utc_time_point> at{};  // when the URL starts to be valid; absent: now()
  http_method method = http_method::get;
};

class presigner {
 public:
  presigner(credentials creds, std::string region, s3_endpoint endpoint);
  presigner(std::shared_ptr<const live_credentials> creds, std::string region, s3_endpoint endpoint);

  std::string presign(const presign_request& request);
  void append_presigned(std::string& out, const presign_request& request);

  const s3_endpoint& endpoint() const noexcept { return endpoint_; }
  const signing_key_cache& key_cache() const noexcept { return keys_; }

  // The presigner's clock: system time corrected by `offset` (server - local).
  void set_clock_offset(std::chrono::milliseconds offset) noexcept { clock_offset_ = offset; }
  std::chrono::milliseconds clock_offset() const noexcept { return clock_offset_; }
  utc_time_point now() const noexcept { return std::chrono::system_clock::now() + clock_offset_; }

 private:
  const bucket_address& address_of(std::string_view bucket);
  void adopt(const credentials& creds);
  void follow_live_credentials();
  void require_unexpired(utc_time_point now);

  s3_endpoint endpoint_;
  signing_key_cache keys_;
  std::string encoded_session_token_;  // empty without a token
  std::optional<utc_time_point> expiration_;
  std::shared_ptr<const live_credentials> live_;  // null: fixed credentials
  std::uint64_t live_version_ = 0;
  std::string last_bucket_;
  bucket_address last_address_;
  std::chrono::milliseconds clock_offset_{0};
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
      encoded_session_token_(uri_encoded(creds.session_token)),
      expiration_(creds.expiration) {
  validate_credentials(creds, "presigner credentials");
  validate_region(keys_.region(), "region");
}

inline presigner::presigner(std::shared_ptr<const live_credentials> creds, std::string region, s3_endpoint endpoint)
    : endpoint_(std::move(endpoint)), keys_({}, {}, std::move(region), "s3"), live_(std::move(creds)) {
  if (!live_) throw config_error("presigner credentials", "are null");
  validate_region(keys_.region(), "region");
  follow_live_credentials();
}

inline void presigner::adopt(const credentials& creds) {
  keys_ = signing_key_cache(creds.access_key_id, creds.secret_access_key, keys_.region(), keys_.service());
  encoded_session_token_ = uri_encoded(creds.session_token);
  expiration_ = creds.expiration;
}

inline void presigner::follow_live_credentials() {
  const std::shared_ptr<const credentials> now_current = live_->current(&live_version_);
  adopt(*now_current);
}

inline void presigner::require_unexpired(utc_time_point now) {
  if (now < *expiration_) return;
  if (live_) {
    follow_live_credentials();  // a refresh may have landed since the version check
    if (now < *expiration_) return;
    throw live_->expired_error(*live_->current());
  }
  throw credentials_expired("presigner credentials expired at " + std::string(amz_timestamp(*expiration_).text()));
}

inline const bucket_address& presigner::address_of(std::string_view bucket) {
  if (last_address_.authority.empty() || bucket != last_bucket_) {
    last_address_ = address_bucket(endpoint_, bucket);
    last_bucket_ = bucket;
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

  if (live_ && live_->version() != live_version_) follow_live_credentials();
  const utc_time_point signing_time = request.at ? *request.at : now();
  if (expiration_) require_unexpired(request.at ? now() : signing_time);
  const amz_timestamp timestamp(signing_time);
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
