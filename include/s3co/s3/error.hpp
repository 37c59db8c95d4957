// S3's answers that are not success, as typed errors (both s3co::error):
//
// - s3_error: the S3 error code (NoSuchKey, SignatureDoesNotMatch, ...), its
//   message, the request id and the HTTP status, parsed from the XML error
//   body. A body that is not S3 error XML still gives an error with the
//   status and an empty code.
// - malformed_response: an answer S3 should not have sent (malformed or
//   truncated XML, a listing that says it is truncated without a token).
//
// Messages name the operation's target (bucket/key), never a signature.
// Reading S3's error codes for the retry decision, and the clock-skew
// correction, live with the client (s3/client.hpp), which hands them to the
// transport as a classification hook.
#pragma once

#include <string>
#include <string_view>

#include <pugixml.hpp>

#include "s3co/aws/retry_policy.hpp"
#include "s3co/error.hpp"

namespace s3co::s3 {

class s3_error : public s3co::error {
 public:
  s3_error(const std::string& what, error_details details, std::string message)
      : s3co::error(what, std::move(details)), message_(std::move(message)) {}

  const std::string& message() const noexcept { return message_; }  // S3's <Message>, may be empty

 private:
  std::string message_;
};

class malformed_response : public s3co::error {
 public:
  explicit malformed_response(const std::string& what, error_details details = {})
      : s3co::error(what, std::move(details)) {}
};

// Builds the error for a failed `operation` ("GET bucket/key") from its status,
// body, x-amz-request-id header and attempt count.
s3_error make_s3_error(std::string_view operation, unsigned status, std::string_view body,
                       std::string_view request_id_header, int attempts = 1);

// ---------------------------------------------------------------------------

inline s3_error make_s3_error(std::string_view operation, unsigned status, std::string_view body,
                              std::string_view request_id_header, int attempts) {
  error_details details{.operation = std::string(operation), .status = status,
                        .request_id = std::string(request_id_header), .attempts = attempts};
  std::string message;
  pugi::xml_document document;
  if (!body.empty() && document.load_buffer(body.data(), body.size())) {
    const pugi::xml_node error = document.child("Error");
    details.code = error.child_value("Code");
    message = error.child_value("Message");
    if (const char* id = error.child_value("RequestId"); *id != '\0') details.request_id = id;
  }
  // (A clock skew was already corrected once: retrying again will not cure it.)
  const aws::failure_kind kind = aws::classify_response(status, details.code);
  details.retryable = aws::is_retryable(kind) && kind != aws::failure_kind::clock_skew;
  std::string what(operation);
  what.append(": ").append(details.code.empty() ? "HTTP error" : details.code);
  what.append(" (HTTP ").append(std::to_string(status)).append(")");
  if (!message.empty()) what.append(": ").append(message);
  if (!details.request_id.empty()) what.append(" [request id ").append(details.request_id).append("]");
  return s3_error(what, std::move(details), std::move(message));
}

}  // namespace s3co::s3
