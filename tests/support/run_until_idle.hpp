// Helpers of the flow tests, which watch an io_context run out of work: a
// forgotten 1-hour timer keeps it busy, so running idle before the deadline
// also shows that every such wait was cancelled, and a hang fails the test
// instead of stalling it.
#pragma once

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <exception>
#include <thread>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace s3co::testing {

// Runs `ctx` on `threads` threads until it runs out of work (true), or until
// `deadline` (false).
inline bool run_until_idle(boost::asio::io_context& ctx, int threads = 1,
                           std::chrono::seconds deadline = std::chrono::seconds(60)) {
  if (ctx.stopped()) ctx.restart();  // an earlier poll() ran out of work
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&] { ctx.run_for(deadline); });
  ctx.run_for(deadline);
  for (auto& thread : pool) thread.join();
  const bool idle = ctx.stopped();
  ctx.stop();
  return idle;
}

// How a spawned coroutine ended.
struct outcome {
  std::atomic<bool> finished{false};
  std::exception_ptr error;
  auto handler() {
    return [this](std::exception_ptr e) {
      error = e;
      finished = true;
    };
  }
};

// Runs `task` alone on a fresh io_context, which must run idle within
// `deadline`; rethrows what the task threw.
inline void run_alone(boost::asio::awaitable<void> task, std::chrono::seconds deadline = std::chrono::seconds(30)) {
  boost::asio::io_context ctx;
  outcome result;
  boost::asio::co_spawn(ctx, std::move(task), result.handler());
  REQUIRE(run_until_idle(ctx, 1, deadline));
  REQUIRE(result.finished);
  if (result.error) std::rethrow_exception(result.error);
}

inline boost::asio::awaitable<void> sleep_for(std::chrono::steady_clock::duration duration) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, duration);
  co_await timer.async_wait(boost::asio::use_awaitable);
}

}  // namespace s3co::testing
