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
#include <exception>
#include <optional>
#include <type_traits>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "s3co/http/message.hpp"

namespace s3co::testing {

// Generous: it catches hangs, it does not measure speed.
inline constexpr std::chrono::seconds test_http_deadline{30};

template <typename T>
T run_until_done(boost::asio::io_context& context, boost::asio::awaitable<T> work,
                 std::chrono::seconds deadline = test_http_deadline) {
  std::exception_ptr failure;
  bool finished = false;
  std::conditional_t<std::is_void_v<T>, bool, std::optional<T>> result{};
  if constexpr (std::is_void_v<T>) {
    boost::asio::co_spawn(context, std::move(work), [&](std::exception_ptr error) {
      failure = error;
      finished = true;
    });
  } else {
    boost::asio::co_spawn(context, std::move(work), [&](std::exception_ptr error, T value) {
      failure = error;
      if (!error) result.emplace(std::move(value));
      finished = true;
    });
  }
  const auto give_up = std::chrono::steady_clock::now() + deadline;
  while (!finished && std::chrono::steady_clock::now() < give_up) {
    context.restart();
    context.run_for(std::chrono::milliseconds(50));
  }
  REQUIRE(finished);  // else the deadline passed: a hang
  if (failure) std::rethrow_exception(failure);
  if constexpr (!std::is_void_v<T>) return std::move(*result);
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
