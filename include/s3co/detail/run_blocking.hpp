// The blocking form of a coroutine, for synchronous callers (the presign
// command, a constructor): `start(executor)` makes the awaitable, which runs
// to completion on a private single-threaded io_context; its result is
// returned and its exception rethrown. Not public API.
//
// The io_context lives for this call only, so nothing the work started may
// outlive it (the credentials refresher, for one, has its own thread).
#pragma once

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

namespace s3co::detail {

template <typename Start>
auto run_blocking(Start&& start) {
  using awaitable_type = std::invoke_result_t<Start, boost::asio::any_io_executor>;
  using result_type = typename awaitable_type::value_type;
  static_assert(!std::is_void_v<result_type>, "run_blocking returns the coroutine's result");
  boost::asio::io_context context(1);
  std::optional<result_type> result;
  std::exception_ptr failure;
  boost::asio::co_spawn(context, std::forward<Start>(start)(boost::asio::any_io_executor(context.get_executor())),
                        [&](std::exception_ptr error, result_type value) {
                          failure = error;
                          if (!error) result.emplace(std::move(value));
                        });
  context.run();
  if (failure) std::rethrow_exception(failure);
  return std::move(*result);
}

}  // namespace s3co::detail
