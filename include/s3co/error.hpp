// The one base of every error s3co throws for a failed operation or bad
// input, carrying what a caller acts on without parsing the message:
//
//   try { ... } catch (const s3co::error& e) {
//     if (e.retryable()) requeue(); else if (e.status() == 404) skip(); ...
//   }
//
// Derived types add their own detail: aws::config_error (the field),
// http::transport_error (the system error code), s3::s3_error (S3's message),
// s3::malformed_response. Messages and fields never hold a secret.
#pragma once

#include <stdexcept>
#include <string>

namespace s3co {

struct error_details {
  std::string operation{};   // what failed: "GET bucket/key", "ListObjectsV2 bucket page 3", a config field
  unsigned status = 0;     // HTTP status; 0 when there was no HTTP answer
  std::string code{};        // the service's error code (NoSuchKey, SlowDown...); empty when there is none
  std::string request_id{};  // the service's request id; empty when unknown
  bool retryable = false;  // a failure retries could cure (those configured were already spent)
  int attempts = 0;        // HTTP attempts made; 0 when nothing was sent
};

class error : public std::runtime_error {
 public:
  error(const std::string& what, error_details details) : std::runtime_error(what), details_(std::move(details)) {}

  const std::string& operation() const noexcept { return details_.operation; }
  unsigned status() const noexcept { return details_.status; }
  const std::string& code() const noexcept { return details_.code; }
  const std::string& request_id() const noexcept { return details_.request_id; }
  bool retryable() const noexcept { return details_.retryable; }
  int attempts() const noexcept { return details_.attempts; }
  const error_details& details() const noexcept { return details_; }

 private:
  error_details details_;
};

}  // namespace s3co
