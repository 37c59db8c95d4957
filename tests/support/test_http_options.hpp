// Client options for tests against the local test server: short timeouts and
// millisecond backoff so that retries and failures take moments, not minutes.
#pragma once

#include <chrono>

#include "s3co/http/client.hpp"

namespace s3co::testing {

inline http::client_options quick_client_options() {
  using namespace std::chrono_literals;
  http::client_options options;
  options.connect_timeout = 5s;
  options.request_timeout = 10s;  // tests that stall the server set 300 ms
  options.retry.base_delay = 5ms;
  return options;
}

}  // namespace s3co::testing
