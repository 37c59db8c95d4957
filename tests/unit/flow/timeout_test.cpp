#include "s3co/flow/timeout.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "s3co/flow/channel.hpp"
#include "s3co/flow/task_group.hpp"

#include "support/run_until_idle.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using s3co::testing::run_until_idle;
using s3co::testing::outcome;
using s3co::testing::run_alone;
using s3co::testing::sleep_for;
using s3co::flow::channel;
using s3co::flow::task_group;
using s3co::flow::timeout_error;
using s3co::flow::with_timeout;

namespace {

struct observed {
  bool started = false;
  bool aborted = false;
  bool finished = false;
};

// Waits an hour unless cancelled; records what happened to it.
asio::awaitable<int> slow_value(observed& seen) {
  seen.started = true;
  try {
    co_await sleep_for(1h);
  } catch (const boost::system::system_error& e) {
    seen.aborted = e.code() == asio::error::operation_aborted;
    seen.finished = true;
    throw;
  }
  seen.finished = true;
  co_return 1;
}

asio::awaitable<void> slow_void(observed& seen) { co_await slow_value(seen); }

asio::awaitable<int> quick_value(int value) {
  co_await sleep_for(1ms);
  co_return value;
}

asio::awaitable<void> quick_void(bool& ran) {
  co_await sleep_for(1ms);
  ran = true;
}

}  // namespace

namespace {

asio::awaitable<void> expect_timeout(observed& seen, std::string& what, bool& finished_first) {
  try {
    co_await with_timeout(slow_value(seen), 20ms);
    what = "no timeout";
  } catch (const timeout_error& e) {
    what = e.what();
    finished_first = seen.finished;  // the operation ended before the error surfaced
    CHECK(e.code() == asio::error::timed_out);
    CHECK(e.limit() == 20ms);
  }
}

asio::awaitable<void> expect_void_timeout(observed& seen, bool& timed_out) {
  try {
    co_await with_timeout(slow_void(seen), 10ms);
  } catch (const boost::system::system_error& e) {  // timeout_error is one
    timed_out = e.code() == asio::error::timed_out;
  }
}

}  // namespace

TEST_CASE("with_timeout: a slow operation is cancelled and the timeout thrown once it has ended", "[timeout]") {
  observed seen;
  std::string what;
  bool finished_first = false;
  run_alone(expect_timeout(seen, what, finished_first));
  CHECK(seen.started);
  CHECK(seen.aborted);
  CHECK(finished_first);
  CHECK(what.find("did not finish within 20 ms") != std::string::npos);

  observed void_seen;
  bool timed_out = false;
  run_alone(expect_void_timeout(void_seen, timed_out));
  CHECK(timed_out);
  CHECK(void_seen.aborted);
}

namespace {

asio::awaitable<void> expect_value(int& value, bool& ran) {
  value = co_await with_timeout(quick_value(42), 1h);
  co_await with_timeout(quick_void(ran), 1h);
}

}  // namespace

TEST_CASE("with_timeout: a quick operation's result passes through and the timer is cancelled", "[timeout]") {
  int value = 0;
  bool ran = false;
  run_alone(expect_value(value, ran));  // returns long before the hour
  CHECK(value == 42);
  CHECK(ran);
}

namespace {

asio::awaitable<int> fails_at_once() {
  throw std::runtime_error("own failure");
  co_return 0;
}

asio::awaitable<void> expect_own_error(std::string& what) {
  try {
    co_await with_timeout(fails_at_once(), 1h);
  } catch (const timeout_error&) {
    what = "timeout";
  } catch (const std::runtime_error& e) {
    what = e.what();
  }
}

}  // namespace

TEST_CASE("with_timeout: the operation's own exception passes through unchanged", "[timeout]") {
  std::string what;
  run_alone(expect_own_error(what));
  CHECK(what == "own failure");
}

namespace {

struct no_default {
  explicit no_default(int v) : value(v) {}
  int value;
};

asio::awaitable<std::unique_ptr<int>> make_pointer() {
  co_await sleep_for(1ms);
  co_return std::make_unique<int>(7);
}

asio::awaitable<no_default> make_no_default() {
  co_await sleep_for(1ms);
  co_return no_default(9);
}

asio::awaitable<void> expect_odd_types(int& pointer_value, int& plain_value) {
  auto pointer = co_await with_timeout(make_pointer(), 1h);
  pointer_value = *pointer;
  plain_value = (co_await with_timeout(make_no_default(), 1h)).value;
}

}  // namespace

TEST_CASE("with_timeout: move-only and non-default-constructible results", "[timeout]") {
  int pointer_value = 0;
  int plain_value = 0;
  run_alone(expect_odd_types(pointer_value, plain_value));
  CHECK(pointer_value == 7);
  CHECK(plain_value == 9);
}

namespace {

// Ignores cancellation: keeps working through posts, which cannot be
// cancelled, with throw_if_cancelled off.
asio::awaitable<int> stubborn(int& steps, bool& cancelled) {
  co_await asio::this_coro::throw_if_cancelled(false);
  const auto executor = co_await asio::this_coro::executor;
  for (steps = 0; steps < 200; ++steps) co_await asio::post(executor, asio::use_awaitable);
  cancelled = (co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none;
  co_return 5;
}

asio::awaitable<void> expect_stubborn_value(int& value, int& steps, bool& cancelled) {
  value = co_await with_timeout(stubborn(steps, cancelled), 0ms);  // expires at once
}

}  // namespace

TEST_CASE("with_timeout: a result produced despite the timeout is returned, not dropped", "[timeout]") {
  int value = 0;
  int steps = 0;
  bool cancelled = false;
  run_alone(expect_stubborn_value(value, steps, cancelled));
  CHECK(cancelled);  // the timer did expire and ask it to stop
  CHECK(steps == 200);
  CHECK(value == 5);
}

namespace {

asio::awaitable<void> outer_with_timeout(observed& seen, std::string& result) {
  try {
    co_await with_timeout(slow_value(seen), 1h);
    result = "value";
  } catch (const timeout_error&) {
    result = "timeout";
  } catch (const boost::system::system_error& e) {
    result = e.code() == asio::error::operation_aborted ? "aborted" : e.what();
  }
}

asio::awaitable<void> cancel_later(asio::cancellation_signal& signal) {
  co_await sleep_for(10ms);
  signal.emit(asio::cancellation_type::terminal);
}

}  // namespace

TEST_CASE("with_timeout: cancelling the caller cancels the operation and is not a timeout", "[timeout][cancel]") {
  asio::io_context ctx;
  asio::cancellation_signal signal;
  observed seen;
  std::string result;
  outcome first, second;
  asio::co_spawn(ctx, outer_with_timeout(seen, result), asio::bind_cancellation_slot(signal.slot(), first.handler()));
  asio::co_spawn(ctx, cancel_later(signal), second.handler());
  REQUIRE(run_until_idle(ctx, 1, 30s));
  CHECK(first.finished);
  CHECK(second.finished);
  CHECK(seen.aborted);
  CHECK(result == "aborted");
}

namespace {

constexpr int timeout_items = 2000;

struct receipts {
  explicit receipts(int items) : deliveries(static_cast<std::size_t>(items)) {}
  std::vector<std::atomic<int>> deliveries;
  std::atomic<int> timeouts{0};
  std::atomic<int> consumers_done{0};
};

// Pauses now and then so that receives time out while waiting.
asio::awaitable<void> slow_producer(channel<int>& ch, int first, int count) {
  for (int i = 0; i < count; ++i) {
    co_await ch.send(first + i);
    if (i % 100 == 99) co_await sleep_for(2ms);
  }
}

asio::awaitable<void> impatient_consumer(channel<int>& ch, receipts& r) {
  for (;;) {
    try {
      auto item = co_await with_timeout(ch.receive(), 200us);
      if (!item) break;
      ++r.deliveries[static_cast<std::size_t>(*item)];
    } catch (const timeout_error&) {
      ++r.timeouts;  // the item it was waiting for, if any, stays for the next receive
    }
  }
  ++r.consumers_done;
}

asio::awaitable<void> timeout_pipeline(asio::io_context& ctx, channel<int>& ch, receipts& r) {
  const auto executor = co_await asio::this_coro::executor;
  task_group consumers(executor);
  for (int c = 0; c < 6; ++c) consumers.spawn(asio::make_strand(ctx), impatient_consumer(ch, r));
  task_group producers(executor);
  for (int p = 0; p < 2; ++p) {
    producers.spawn(asio::make_strand(ctx), slow_producer(ch, p * timeout_items / 2, timeout_items / 2));
  }
  co_await producers.wait();
  ch.close();
  co_await consumers.wait();
}

}  // namespace

TEST_CASE("with_timeout: receives that time out never lose or repeat an item", "[timeout][channel]") {
  const std::size_t capacity = GENERATE(std::size_t{1}, std::size_t{64});
  CAPTURE(capacity);
  asio::io_context ctx(4);
  channel<int> ch(capacity);
  receipts r(timeout_items);
  outcome done;
  asio::co_spawn(asio::make_strand(ctx), timeout_pipeline(ctx, ch, r), done.handler());
  REQUIRE(run_until_idle(ctx, 4));
  REQUIRE(done.finished);
  if (done.error) std::rethrow_exception(done.error);
  int wrong = 0;
  for (const auto& count : r.deliveries) wrong += count != 1;
  CHECK(wrong == 0);
  CHECK(r.consumers_done == 6);
}
