// The error a credentials provider throws when it was configured but could
// not produce credentials: an answer that is an error, malformed or
// expired, a process that failed, a server that did not answer.
//
// The message starts with the provider ("container credentials: …",
// "instance metadata: …") and names the field or the HTTP status; it never
// holds a secret key, a session token or a web identity token. (A
// configuration that is wrong before anything is fetched, such as a
// forbidden host, is an aws::config_error naming the provider instead.)
#pragma once

#include <string>
#include <string_view>

#include "s3co/error.hpp"

namespace s3co::credentials {

class provider_error : public s3co::error {
 public:
  provider_error(const std::string& provider, const std::string& problem, unsigned status = 0, bool retryable = false)
      : s3co::error(provider + ": " + problem, {.operation = provider, .status = status, .retryable = retryable}),
        provider_(provider) {}

  const std::string& provider() const noexcept { return provider_; }

 private:
  std::string provider_;
};

// A short quote of an error answer's text for a message: printable ASCII
// only, at most 160 characters. Callers quote only what cannot hold a
// secret (error codes and messages, a version field).
inline std::string quote_error_body(std::string_view body) {
  std::string quoted;
  for (const char c : body.substr(0, 160)) quoted.push_back(c >= ' ' && c < 0x7f ? c : ' ');
  return quoted;
}

}  // namespace s3co::credentials
