// AWS credentials as values, and the two sources that need no I/O beyond
// the process itself: explicit credentials and the environment.
//
// A `credentials` value is plain data owned by whoever holds it. Temporary
// credentials carry a session token and, when their source says so, an
// expiration; signers refuse credentials whose expiration has passed. The
// whole provider chain (web identity, shared files, container, instance
// metadata) and refresh live in s3co/credentials/; this header only checks
// and reads values. No error message ever holds a secret key or a session
// token.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "s3co/aws/amz_time.hpp"
#include "s3co/aws/config_error.hpp"
#include "s3co/aws/environment.hpp"

namespace s3co::aws {

struct credentials {
  std::string access_key_id{};
  std::string secret_access_key{};
  std::string session_token{};                // empty unless the credentials are temporary
  std::optional<utc_time_point> expiration{};  // absent: they do not expire
};

struct resolved_credentials {
  credentials value{};
  std::string source{};  // which provider supplied them: "environment", "container credentials", ...
};

// Throws config_error naming `source` when a field is missing or malformed.
void validate_credentials(const credentials& creds, const std::string& source);

// Whether `creds` may still sign at `now`.
bool unexpired(const credentials& creds, utc_time_point now) noexcept;

// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and
// AWS_CREDENTIAL_EXPIRATION (ISO 8601); nullopt when neither key variable is
// set; an error when only one is, or the expiration is not a time.
std::optional<credentials> credentials_from_environment();

// ---------------------------------------------------------------------------

inline void validate_credentials(const credentials& creds, const std::string& source) {
  if (creds.access_key_id.empty()) throw config_error(source, "access key id is empty");
  if (creds.secret_access_key.empty()) throw config_error(source, "secret access key is empty");
  for (const char c : creds.access_key_id) {
    if (c <= ' ' || c == 0x7f) throw config_error(source, "access key id contains whitespace or control characters");
  }
  for (const char c : creds.secret_access_key) {
    if (c <= ' ' || c == 0x7f) throw config_error(source, "secret access key contains whitespace or control characters");
  }
  for (const char c : creds.session_token) {
    if (c <= ' ' || c == 0x7f) throw config_error(source, "session token contains whitespace or control characters");
  }
}

inline bool unexpired(const credentials& creds, utc_time_point now) noexcept {
  return !creds.expiration || now < *creds.expiration;
}

inline std::optional<credentials> credentials_from_environment() {
  auto access_key = environment_value("AWS_ACCESS_KEY_ID");
  auto secret_key = environment_value("AWS_SECRET_ACCESS_KEY");
  if (!access_key && !secret_key) return std::nullopt;
  if (!access_key) throw config_error("AWS_ACCESS_KEY_ID", "is not set but AWS_SECRET_ACCESS_KEY is");
  if (!secret_key) throw config_error("AWS_SECRET_ACCESS_KEY", "is not set but AWS_ACCESS_KEY_ID is");
  credentials creds{std::move(*access_key), std::move(*secret_key), environment_value("AWS_SESSION_TOKEN").value_or(""),
                    std::nullopt};
  if (const auto expiration = environment_value("AWS_CREDENTIAL_EXPIRATION")) {
    creds.expiration = parse_iso8601_utc(*expiration);
    if (!creds.expiration) {
      throw config_error("AWS_CREDENTIAL_EXPIRATION", "'" + *expiration + "' is not an ISO 8601 UTC time");
    }
  }
  validate_credentials(creds, "environment credentials");
  return creds;
}

}  // namespace s3co::aws
