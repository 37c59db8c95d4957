// Runs one coroutine of an HTTP test to completion on the test's io_context
// and fails the test, instead of hanging, when it outlives its deadline.
//
// The io_context belongs to the test (so a client built on its executor can
// be inspected between runs); the coroutine owns whatever it captured by
// value. `run_until_done` returns the coroutine's value or rethrows its
// exception; `expect_transport_error` requires that it failed with an
// http::transport_error and returns a copy of it.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <stdexcept>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "run_async.hpp"
#include "s3co/http/message.hpp"

namespace s3co::testing {

// Generous: it catches hangs, it does not measure speed.
inline constexpr std::chrono::seconds test_http_deadline{30};

template <typename T>
T run_until_done(boost::asio::io_context& context, boost::asio::awaitable<T> work,
                 std::chrono::seconds deadline = test_http_deadline) {
  return run_async(context, std::move(work), deadline);
}

template <typename T>
http::transport_error expect_transport_error(boost::asio::io_context& context, boost::asio::awaitable<T> work,
                                             std::chrono::seconds deadline = test_http_deadline) {
  try {
    run_until_done(context, std::move(work), deadline);
  } catch (const http::transport_error& error) {
    return error;
  }
  FAIL("expected an http::transport_error, but the request completed");
  throw std::logic_error("unreachable");
}

}  // namespace s3co::testing
