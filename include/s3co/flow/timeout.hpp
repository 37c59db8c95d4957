// A deadline for one awaitable:
//
//   auto item = co_await with_timeout(ch.receive(), 250ms);
//
// `op` races a steady_timer on the awaiting coroutine's executor. When the
// timer expires first, `op` is cancelled through its cancellation slot (Asio's
// operations and s3co's channel honour it) and with_timeout throws
// timeout_error, a boost::system::system_error whose code() is
// boost::asio::error::timed_out. Otherwise the timer is cancelled and `op`'s
// value or exception passes through unchanged.
//
// A result is never dropped: if `op` succeeds even though the timer expired
// (it was already complete, or it ignored the cancellation), its value is
// returned, so `with_timeout(ch.receive(), d)` cannot lose an item. When the
// awaiting coroutine is itself cancelled, `op` is cancelled and its exception
// (normally operation_aborted) propagates rather than timeout_error.
//
// Ownership: with_timeout takes `op` by value and runs it as a child of the
// awaiting coroutine on the same executor. It returns only once `op` has
// finished, so `op` may borrow from the caller's frame; an operation that
// ignores cancellation therefore delays the timeout until it ends.
#pragma once

#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/system/system_error.hpp>

namespace s3co::flow {

// The operation did not finish within `limit`.
class timeout_error : public boost::system::system_error {
 public:
  explicit timeout_error(std::chrono::steady_clock::duration limit)
      : boost::system::system_error(boost::asio::error::timed_out, "operation did not finish within " + describe(limit)),
        limit_(limit) {}

  std::chrono::steady_clock::duration limit() const noexcept { return limit_; }

 private:
  static std::string describe(std::chrono::steady_clock::duration limit) {
    using namespace std::chrono;
    if (limit % milliseconds(1) == limit.zero()) return std::to_string(duration_cast<milliseconds>(limit).count()) + " ms";
    return std::to_string(duration_cast<microseconds>(limit).count()) + " us";
  }

  std::chrono::steady_clock::duration limit_;
};

// A timeout of zero or less expires at once (`op` still starts).
template <class T, class Executor>
boost::asio::awaitable<T, Executor> with_timeout(boost::asio::awaitable<T, Executor> op,
                                                 std::chrono::steady_clock::duration timeout);

// ---------------------------------------------------------------------------

namespace detail {

// co_spawn reports a value type that must be default-constructible; an
// optional is, whatever T is (void becomes monostate).
template <class T>
using spawned_result = std::optional<std::conditional_t<std::is_void_v<T>, std::monostate, T>>;

template <class T, class Executor>
boost::asio::awaitable<spawned_result<T>, Executor> run_to_optional(boost::asio::awaitable<T, Executor> op) {
  if constexpr (std::is_void_v<T>) {
    co_await std::move(op);
    co_return std::monostate{};
  } else {
    co_return co_await std::move(op);
  }
}

}  // namespace detail

template <class T, class Executor>
boost::asio::awaitable<T, Executor> with_timeout(boost::asio::awaitable<T, Executor> op,
                                                 std::chrono::steady_clock::duration timeout) {
  namespace asio = boost::asio;
  const Executor executor = co_await asio::this_coro::executor;
  asio::basic_waitable_timer<std::chrono::steady_clock, asio::wait_traits<std::chrono::steady_clock>, Executor> timer(
      executor, timeout);

  // wait_for_one: whichever finishes first cancels the other; the group
  // completes only when both have finished. The operations are named locals:
  // g++ 12 can destroy temporaries of a co_await expression twice.
  auto race = asio::experimental::make_parallel_group(
                  asio::co_spawn(executor, detail::run_to_optional(std::move(op)), asio::deferred),
                  timer.async_wait(asio::deferred))
                  .async_wait(asio::experimental::wait_for_one(), asio::deferred);
  auto [order, op_error, result, timer_error] = co_await std::move(race);

  if (op_error) {
    const bool timer_won = order[0] == 1 && !timer_error;
    if (timer_won) throw timeout_error(timeout);
    std::rethrow_exception(op_error);
  }
  if constexpr (!std::is_void_v<T>) co_return std::move(*result);
}

}  // namespace s3co::flow
