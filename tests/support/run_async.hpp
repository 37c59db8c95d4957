// Runs a coroutine to completion for a test, on its own io_context, and
// fails the test (rather than hanging) when it takes longer than `deadline`.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <type_traits>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

namespace s3co::testing {

template <typename T>
T run_async(boost::asio::io_context& context, boost::asio::awaitable<T> work,
            std::chrono::seconds deadline = std::chrono::seconds(120)) {
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
  context.restart();
  const auto give_up = std::chrono::steady_clock::now() + deadline;
  while (!finished && std::chrono::steady_clock::now() < give_up) {
    context.run_for(std::chrono::milliseconds(100));
    if (context.stopped() && !finished) context.restart();
  }
  REQUIRE(finished);  // else: the deadline passed
  if (failure) std::rethrow_exception(failure);
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

template <typename T>
T run_async(boost::asio::awaitable<T> work, std::chrono::seconds deadline = std::chrono::seconds(120)) {
  boost::asio::io_context context;
  return run_async(context, std::move(work), deadline);
}

}  // namespace s3co::testing
