// Runs a test server's io_context on a thread of its own until the context
// is stopped. An exception escaping one handler (one connection's failure)
// must not end the server, so the thread goes back to run().
#pragma once

#include <thread>

#include <boost/asio/io_context.hpp>

namespace s3co::testing {

inline std::thread run_in_background(boost::asio::io_context& context) {
  return std::thread([&context] {
    for (;;) {
      try {
        context.run();
        return;
      } catch (...) {
      }
    }
  });
}

}  // namespace s3co::testing
