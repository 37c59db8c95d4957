// Runs `work(i)` for i in [0, count) with at most `width` at once, on the
// current executor, and rethrows the first failure once all have finished.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace s3co::testing {

inline boost::asio::awaitable<void> concurrently(std::size_t count, std::size_t width,
                                                 std::function<boost::asio::awaitable<void>(std::size_t)> work) {
  auto executor = co_await boost::asio::this_coro::executor;
  std::size_t next = 0;
  std::exception_ptr first_failure;
  auto worker = [&]() -> boost::asio::awaitable<void> {
    while (next < count) {
      const std::size_t index = next++;
      try {
        co_await work(index);
      } catch (...) {
        if (!first_failure) first_failure = std::current_exception();
        next = count;
      }
    }
  };
  using operation = decltype(boost::asio::co_spawn(executor, worker(), boost::asio::deferred));
  std::vector<operation> workers;
  for (std::size_t i = 0; i < width; ++i) workers.push_back(boost::asio::co_spawn(executor, worker(), boost::asio::deferred));
  co_await boost::asio::experimental::make_parallel_group(std::move(workers))
      .async_wait(boost::asio::experimental::wait_for_all(), boost::asio::use_awaitable);
  if (first_failure) std::rethrow_exception(first_failure);
}

}  // namespace s3co::testing
