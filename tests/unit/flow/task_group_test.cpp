#include "s3co/flow/task_group.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <exception>
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

#include "support/run_until_idle.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using s3co::testing::run_until_idle;
using s3co::testing::outcome;
using s3co::testing::run_alone;
using s3co::testing::sleep_for;
using s3co::flow::task_group;

namespace {

struct counters {
  std::atomic<int> completed{0};
  std::atomic<int> aborted{0};
  std::atomic<int> finished{0};  // however they ended
};

asio::awaitable<void> work(counters& c, std::chrono::milliseconds duration) {
  co_await sleep_for(duration);
  ++c.completed;
  ++c.finished;
}

// Waits an hour unless cancelled; once cancelled it still cleans up
// asynchronously for a while before it ends.
asio::awaitable<void> long_task(counters& c) {
  bool aborted = false;
  try {
    co_await sleep_for(1h);
    ++c.completed;
  } catch (const boost::system::system_error& e) {
    aborted = e.code() == asio::error::operation_aborted;
  }
  if (aborted) {
    ++c.aborted;
    co_await asio::this_coro::reset_cancellation_state();
    co_await sleep_for(20ms);  // cleanup that takes time
    ++c.finished;
    throw std::runtime_error("cleanup finished");  // dropped unless it is the first exception
  }
  ++c.finished;
}

asio::awaitable<void> fail_after(std::chrono::milliseconds delay, std::string message) {
  co_await sleep_for(delay);
  throw std::runtime_error(message);
}

}  // namespace

namespace {

asio::awaitable<void> all_succeed(counters& c) {
  task_group group(co_await asio::this_coro::executor);
  co_await group.wait();  // nothing to wait for
  for (int i = 0; i < 10; ++i) group.spawn(work(c, std::chrono::milliseconds(i % 4)));
  co_await group.wait();
  CHECK(c.completed == 10);
  // Reusable after wait().
  group.spawn(work(c, 1ms));
  co_await group.wait();
}

}  // namespace

TEST_CASE("task_group: wait() returns once every task has finished", "[task_group]") {
  counters c;
  run_alone(all_succeed(c));
  CHECK(c.completed == 11);
}

namespace {

// With `ctx`, each task gets a strand of its own on it.
asio::awaitable<void> first_error_wins(counters& c, std::string& what, int& finished_at_catch, int tasks,
                                       asio::io_context* ctx = nullptr) {
  task_group group(co_await asio::this_coro::executor);
  for (int i = 0; i < tasks; ++i) {
    if (ctx) {
      group.spawn(asio::make_strand(*ctx), long_task(c));
    } else {
      group.spawn(long_task(c));
    }
  }
  group.spawn(fail_after(5ms, "first"));
  try {
    co_await group.wait();
    what = "no error";
  } catch (const std::exception& e) {
    what = e.what();
    finished_at_catch = c.finished;
  }
}

}  // namespace

TEST_CASE("task_group: the first exception propagates after the others are cancelled and finished",
          "[task_group][cancel]") {
  counters c;
  std::string what;
  int finished_at_catch = -1;
  run_alone(first_error_wins(c, what, finished_at_catch, 4));
  CHECK(what == "first");
  CHECK(c.aborted == 4);
  CHECK(finished_at_catch == 4);  // wait() waited for their cleanup
}

TEST_CASE("task_group: first exception and cancellation with tasks on strands of 4 threads",
          "[task_group][cancel][threads]") {
  for (int round = 0; round < 20; ++round) {
    asio::io_context ctx(4);
    counters c;
    std::string what;
    int finished_at_catch = -1;
    outcome owner;
    asio::co_spawn(asio::make_strand(ctx), first_error_wins(c, what, finished_at_catch, 16, &ctx), owner.handler());
    REQUIRE(run_until_idle(ctx, 4));
    REQUIRE(owner.finished);
    CHECK(what == "first");
    CHECK(c.aborted == 16);
    CHECK(finished_at_catch == 16);
  }
}

namespace {

asio::awaitable<void> cancel_everything(counters& c, std::string& what) {
  task_group group(co_await asio::this_coro::executor);
  for (int i = 0; i < 3; ++i) group.spawn(long_task(c));
  co_await sleep_for(5ms);
  group.cancel();
  try {
    co_await group.wait();
    what = "no error";
  } catch (const boost::system::system_error& e) {
    what = e.code() == asio::error::operation_aborted ? "aborted" : e.what();
  } catch (const std::exception& e) {
    what = e.what();
  }
}

}  // namespace

TEST_CASE("task_group: cancel() stops every task", "[task_group][cancel]") {
  counters c;
  std::string what;
  run_alone(cancel_everything(c, what));
  // long_task ends with its own "cleanup finished" error after the abort.
  CHECK(what == "cleanup finished");
  CHECK(c.aborted == 3);
  CHECK(c.finished == 3);
}

namespace {

asio::awaitable<void> owner_waits(counters& c, std::string& what, int& finished_at_catch) {
  task_group group(co_await asio::this_coro::executor);
  for (int i = 0; i < 3; ++i) group.spawn(long_task(c));
  try {
    co_await group.wait();
    what = "no error";
  } catch (const std::exception& e) {
    what = e.what();
    finished_at_catch = c.finished;
  }
}

asio::awaitable<void> cancel_later(asio::cancellation_signal& signal) {
  co_await sleep_for(10ms);
  signal.emit(asio::cancellation_type::terminal);
}

}  // namespace

TEST_CASE("task_group: cancelling the waiting owner cancels the tasks and still waits for them",
          "[task_group][cancel]") {
  asio::io_context ctx;
  asio::cancellation_signal signal;
  counters c;
  std::string what;
  int finished_at_catch = -1;
  outcome owner, canceller;
  asio::co_spawn(ctx, owner_waits(c, what, finished_at_catch),
                 asio::bind_cancellation_slot(signal.slot(), owner.handler()));
  asio::co_spawn(ctx, cancel_later(signal), canceller.handler());
  REQUIRE(run_until_idle(ctx));
  CHECK(owner.finished);
  CHECK(c.aborted == 3);
  CHECK(finished_at_catch == 3);
  CHECK(what == "cleanup finished");
}

namespace {

asio::awaitable<void> spawn_while_stopping(counters& c, std::string& what) {
  task_group group(co_await asio::this_coro::executor);
  group.spawn(fail_after(0ms, "early failure"));
  co_await sleep_for(5ms);  // the failure has happened; the group is stopping
  group.spawn(long_task(c));
  try {
    co_await group.wait();
  } catch (const std::exception& e) {
    what = e.what();
  }
}

}  // namespace

TEST_CASE("task_group: a task spawned while the group is stopping is cancelled at once", "[task_group][cancel]") {
  counters c;
  std::string what;
  run_alone(spawn_while_stopping(c, what));
  CHECK(what == "early failure");
  CHECK(c.completed == 0);  // and the io_context ran dry: its hour-long timer was cancelled
}

namespace {

asio::awaitable<void> leave_without_waiting(counters& c) {
  {
    task_group group(co_await asio::this_coro::executor);
    for (int i = 0; i < 3; ++i) group.spawn(long_task(c));
    co_await sleep_for(2ms);
  }  // destroyed with three tasks running
  co_await sleep_for(50ms);
}

}  // namespace

TEST_CASE("task_group: a group destroyed with tasks running asks them to stop", "[task_group][cancel]") {
  counters c;
  run_alone(leave_without_waiting(c));  // the io_context runs dry: no hour-long timer is left
  CHECK(c.aborted == 3);
  CHECK(c.finished == 3);
}

namespace {

asio::awaitable<void> second_waiter(task_group& group, std::string& what) {
  co_await sleep_for(1ms);  // the owner is waiting by now
  try {
    co_await group.wait();
    what = "waited";
  } catch (const std::logic_error& e) {
    what = e.what();
  }
}

asio::awaitable<void> two_waits(counters& c, std::string& what) {
  const auto executor = co_await asio::this_coro::executor;
  task_group group(executor);
  group.spawn(work(c, 5ms));
  task_group helper(executor);
  helper.spawn(second_waiter(group, what));
  co_await group.wait();
  co_await helper.wait();
}

}  // namespace

TEST_CASE("task_group: a second concurrent wait() is refused", "[task_group]") {
  counters c;
  std::string what;
  run_alone(two_waits(c, what));
  CHECK(what.find("already in progress") != std::string::npos);
  CHECK(c.completed == 1);
}
