// The message of the error a test expects: runs `body`, fails the test
// unless it throws `Error`, and checks that the message holds none of
// `secrets` (errors never carry a secret key, a token or a signature).
#pragma once

#include <catch2/catch.hpp>

#include <initializer_list>
#include <string>
#include <string_view>

namespace s3co::testing {

template <typename Error, typename Body>
std::string message_of(Body&& body, std::initializer_list<std::string_view> secrets = {}) {
  try {
    body();
  } catch (const Error& error) {
    const std::string message = error.what();
    for (const std::string_view secret : secrets) {
      INFO("secret: " << secret);
      CHECK(message.find(secret) == std::string::npos);
    }
    return message;
  }
  FAIL("expected an error of the type under test");
  return {};
}

}  // namespace s3co::testing
