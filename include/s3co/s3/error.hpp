// S3's answers that are not success, as a typed error: the S3 error code
// (NoSuchKey, SignatureDoesNotMatch, ...), its message, the request id and
// the HTTP status, parsed from the XML error body. A body that is not S3
// error XML still gives an error with the status and an empty code. The
// message names the operation's target (bucket/key), never a signature.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include <pugixml.hpp>

namespace s3co::s3 {

class s3_error : public std::runtime_error {
 public:
  s3_error(std::string what, unsigned status, std::string code, std::string message, std::string request_id)
      : std::runtime_error(std::move(what)),
        status_(status),
        code_(std::move(code)),
        message_(std::move(message)),
        request_id_(std::move(request_id)) {}

  unsigned status() const noexcept { return status_; }
  const std::string& code() const noexcept { return code_; }        // empty when the body had none
  const std::string& message() const noexcept { return message_; }
  const std::string& request_id() const noexcept { return request_id_; }

 private:
  unsigned status_;
  std::string code_;
  std::string message_;
  std::string request_id_;
};

// A response S3 should not have sent: malformed or truncated XML, a listing
// that says it is truncated without a continuation token, and the like.
class malformed_response : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Builds the error for a failed `operation` ("GET bucket/key") from its status,
// body and x-amz-request-id header.
s3_error make_s3_error(std::string_view operation, unsigned status, std::string_view body,
                       std::string_view request_id_header);

// ---------------------------------------------------------------------------

inline s3_error make_s3_error(std::string_view operation, unsigned status, std::string_view body,
                              std::string_view request_id_header) {
  std::string code;
  std::string message;
  std::string request_id(request_id_header);
  pugi::xml_document document;
  if (!body.empty() && document.load_buffer(body.data(), body.size())) {
    const pugi::xml_node error = document.child("Error");
    code = error.child_value("Code");
    message = error.child_value("Message");
    if (const char* id = error.child_value("RequestId"); *id != '\0') request_id = id;
  }
  std::string what(operation);
  what.append(": ").append(code.empty() ? "HTTP error" : code).append(" (HTTP ").append(std::to_string(status));
  what.append(")");
  if (!message.empty()) what.append(": ").append(message);
  if (!request_id.empty()) what.append(" [request id ").append(request_id).append("]");
  return s3_error(std::move(what), status, std::move(code), std::move(message), std::move(request_id));
}

}  // namespace s3co::s3
