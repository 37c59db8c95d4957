// The SigV4 signing key and the signature it makes.
//
// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
// "aws4_request") costs four HMACs; it depends only on (date, region,
// service), so `signing_key_cache` derives it once per date and keeps it as a
// pre-padded HMAC key. A cache serves one (secret, region, service); it is a
// plain value without locks: give each thread its own copy.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "s3co/aws/amz_time.hpp"
#include "s3co/aws/sha256.hpp"
#include "s3co/aws/uri_encoding.hpp"

namespace s3co::aws {

inline constexpr std::string_view sigv4_algorithm = "AWS4-HMAC-SHA256";

sha256_digest derive_signing_key(std::string_view secret_access_key, std::string_view date, std::string_view region,
                                 std::string_view service);

// The signing key for one day, with the credential scope strings built once.
struct scoped_signing_key {
  std::string date;               // YYYYMMDD
  std::string scope;              // date/region/service/aws4_request
  std::string credential;         // access-key-id/scope, as in the Authorization header
  std::string encoded_credential; // the same, URI-encoded for X-Amz-Credential
  hmac_sha256_key key;
};

class signing_key_cache {
 public:
  signing_key_cache(std::string access_key_id, std::string secret_access_key, std::string region,
                    std::string service);

  // The key for `date` (YYYYMMDD), derived only when the date changes.
  const scoped_signing_key& for_date(std::string_view date);

  std::size_t derivations() const noexcept { return derivations_; }
  const std::string& region() const noexcept { return region_; }
  const std::string& service() const noexcept { return service_; }

 private:
  std::string access_key_id_;
  std::string secret_access_key_;
  std::string region_;
  std::string service_;
  scoped_signing_key current_;
  std::size_t derivations_ = 0;
};

// Appends the hex signature of the string-to-sign built from `timestamp`,
// the key's scope and the canonical request's digest.
void append_signature(std::string& out, const scoped_signing_key& key, const amz_timestamp& timestamp,
                      const sha256_digest& canonical_request_digest);

// ---------------------------------------------------------------------------

inline sha256_digest derive_signing_key(std::string_view secret_access_key, std::string_view date,
                                        std::string_view region, std::string_view service) {
  std::string seed = "AWS4";
  seed += secret_access_key;
  const sha256_digest date_key = hmac_sha256_key(seed).sign(date);
  const sha256_digest region_key = hmac_sha256_key(date_key).sign(region);
  const sha256_digest service_key = hmac_sha256_key(region_key).sign(service);
  return hmac_sha256_key(service_key).sign("aws4_request");
}

inline signing_key_cache::signing_key_cache(std::string access_key_id, std::string secret_access_key,
                                            std::string region, std::string service)
    : access_key_id_(std::move(access_key_id)),
      secret_access_key_(std::move(secret_access_key)),
      region_(std::move(region)),
      service_(std::move(service)),
      current_{{}, {}, {}, {}, hmac_sha256_key(std::string_view{})} {}

inline const scoped_signing_key& signing_key_cache::for_date(std::string_view date) {
  if (current_.date != date) {
    current_.date = date;
    current_.scope = current_.date + "/" + region_ + "/" + service_ + "/aws4_request";
    current_.credential = access_key_id_ + "/" + current_.scope;
    current_.encoded_credential = uri_encoded(current_.credential);
    current_.key = hmac_sha256_key(derive_signing_key(secret_access_key_, date, region_, service_));
    ++derivations_;
  }
  return current_;
}

inline void append_signature(std::string& out, const scoped_signing_key& key, const amz_timestamp& timestamp,
                             const sha256_digest& canonical_request_digest) {
  // The hex digest is only 64 bytes: build it on the stack, not in a string.
  char hex[64];
  write_hex(hex, canonical_request_digest);
  auto message = key.key.begin();
  message.update(sigv4_algorithm)
      .update("\n")
      .update(timestamp.text())
      .update("\n")
      .update(key.scope)
      .update("\n")
      .update(std::string_view(hex, sizeof hex));
  append_hex(out, message.finish());
}

}  // namespace s3co::aws
