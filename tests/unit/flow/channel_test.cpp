#include "s3co/flow/channel.hpp"

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
#include <variant>
#include <vector>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "s3co/flow/task_group.hpp"

#include "support/run_until_idle.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using s3co::testing::run_until_idle;
using namespace boost::asio::experimental::awaitable_operators;
using s3co::flow::channel;
using s3co::flow::channel_closed;
using s3co::flow::task_group;

namespace {

void run_or_fail(asio::io_context& ctx, int threads = 1) { REQUIRE(run_until_idle(ctx, threads)); }

// Collects how spawned test coroutines ended; rethrow() on the test thread.
struct outcomes {
  std::atomic<int> finished{0};
  std::mutex mutex;
  std::exception_ptr first_error;

  auto handler() {
    return [this](std::exception_ptr error) {
      if (error) {
        std::lock_guard lock(mutex);
        if (!first_error) first_error = error;
      }
      ++finished;
    };
  }
  void rethrow() {
    if (first_error) std::rethrow_exception(first_error);
  }
};

std::string message_of(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  }
}

asio::awaitable<void> send_all(channel<int>& ch, std::vector<int> items, std::atomic<int>& sent) {
  for (int item : items) {
    co_await ch.send(item);
    ++sent;
  }
}

asio::awaitable<void> receive_n(channel<int>& ch, int count, std::vector<std::optional<int>>& out) {
  for (int i = 0; i < count; ++i) out.push_back(co_await ch.receive());
}

asio::awaitable<void> ping_pong(channel<int>& ch, int rounds, long& sum) {
  for (int i = 0; i < rounds; ++i) {
    co_await ch.send(i);
    sum += *co_await ch.receive();
  }
}

}  // namespace

TEST_CASE("channel: capacity 0 is rejected", "[channel]") {
  CHECK_THROWS_AS(channel<int>(0), std::invalid_argument);
  CHECK(channel<int>(3).capacity() == 3);
}

TEST_CASE("channel: send with room and receive with an item do not suspend", "[channel]") {
  asio::io_context ctx;
  channel<int> ch(1);
  long sum = 0;
  outcomes done;
  asio::co_spawn(ctx, ping_pong(ch, 10000, sum), done.handler());
  // 20000 operations; only co_spawn's own start and finish go through the
  // io_context.
  const std::size_t handlers = ctx.run();
  done.rethrow();
  CHECK(sum == 10000L * 9999 / 2);
  CHECK(handlers < 10);
}

TEST_CASE("channel: send waits while full, and items keep their order", "[channel]") {
  asio::io_context ctx;
  channel<int> ch(2);
  std::atomic<int> sent{0};
  outcomes done;
  asio::co_spawn(ctx, send_all(ch, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, sent), done.handler());
  ctx.poll();
  CHECK(sent == 2);  // backpressure: the third send waits
  CHECK(done.finished == 0);

  std::vector<std::optional<int>> received;
  asio::co_spawn(ctx, receive_n(ch, 10, received), done.handler());
  run_or_fail(ctx);
  done.rethrow();
  CHECK(sent == 10);
  REQUIRE(received.size() == 10);
  for (int i = 0; i < 10; ++i) CHECK(received[i] == i);
}

TEST_CASE("channel: close lets consumers drain, then every receive reports end-of-stream", "[channel]") {
  asio::io_context ctx;
  channel<int> ch(4);
  outcomes done;
  std::vector<std::optional<int>> early;
  std::vector<std::optional<int>> late;
  // A consumer already waiting on the empty channel when it closes.
  asio::co_spawn(ctx, receive_n(ch, 2, early), done.handler());
  ctx.poll();
  ch.close();
  run_or_fail(ctx);
  CHECK(early == std::vector<std::optional<int>>{std::nullopt, std::nullopt});

  // Items buffered before close are drained; receives after that, however
  // many, see end-of-stream.
  asio::io_context ctx2;
  channel<int> ch2(4);
  std::atomic<int> sent{0};
  asio::co_spawn(ctx2, send_all(ch2, {1, 2, 3}, sent), done.handler());
  ctx2.poll();
  ch2.close();
  ch2.close();  // a second close does nothing
  asio::co_spawn(ctx2, receive_n(ch2, 6, late), done.handler());
  run_or_fail(ctx2);
  done.rethrow();
  CHECK(late == std::vector<std::optional<int>>{1, 2, 3, std::nullopt, std::nullopt, std::nullopt});
}

namespace {

asio::awaitable<void> send_expecting_error(channel<int>& ch, int item, std::string& error) {
  try {
    co_await ch.send(item);
    error = "sent";
  } catch (const std::exception& e) {
    error = e.what();
  }
}

asio::awaitable<void> receive_expecting_error(channel<int>& ch, std::string& error) {
  try {
    auto item = co_await ch.receive();
    error = item ? "item " + std::to_string(*item) : "end-of-stream";
  } catch (const std::exception& e) {
    error = e.what();
  }
}

}  // namespace

TEST_CASE("channel: send after close throws channel_closed, and a waiting send is refused", "[channel]") {
  asio::io_context ctx;
  channel<int> ch(1);
  std::atomic<int> sent{0};
  outcomes done;
  std::string waiting_send;
  asio::co_spawn(ctx, send_all(ch, {1}, sent), done.handler());
  asio::co_spawn(ctx, send_expecting_error(ch, 2, waiting_send), done.handler());
  ctx.poll();
  CHECK(waiting_send.empty());  // waiting for room
  ch.close();
  std::string late_send;
  std::vector<std::optional<int>> received;
  asio::co_spawn(ctx, send_expecting_error(ch, 3, late_send), done.handler());
  asio::co_spawn(ctx, receive_n(ch, 2, received), done.handler());
  run_or_fail(ctx);
  done.rethrow();
  CHECK(waiting_send == channel_closed().what());
  CHECK(late_send == channel_closed().what());
  CHECK(received == std::vector<std::optional<int>>{1, std::nullopt});  // 2 and 3 never got in
}

TEST_CASE("channel: close(error) discards buffered items and every operation throws the error", "[channel]") {
  asio::io_context ctx;
  channel<int> ch(2);
  std::atomic<int> sent{0};
  outcomes done;
  std::string waiting_send;
  asio::co_spawn(ctx, send_all(ch, {1, 2}, sent), done.handler());
  asio::co_spawn(ctx, send_expecting_error(ch, 3, waiting_send), done.handler());
  ctx.poll();
  ch.close(std::make_exception_ptr(std::runtime_error("listing failed")));
  ch.close();  // the first close wins
  std::string receive1, receive2, late_send;
  asio::co_spawn(ctx, receive_expecting_error(ch, receive1), done.handler());
  asio::co_spawn(ctx, receive_expecting_error(ch, receive2), done.handler());
  asio::co_spawn(ctx, send_expecting_error(ch, 4, late_send), done.handler());
  run_or_fail(ctx);
  done.rethrow();
  CHECK(waiting_send == "listing failed");
  CHECK(receive1 == "listing failed");
  CHECK(receive2 == "listing failed");
  CHECK(late_send == "listing failed");

  // Receivers already waiting get the error too; a null error is close().
  asio::io_context ctx2;
  channel<int> ch2(2), ch3(2);
  std::string waiting_receive, plain_close;
  asio::co_spawn(ctx2, receive_expecting_error(ch2, waiting_receive), done.handler());
  asio::co_spawn(ctx2, receive_expecting_error(ch3, plain_close), done.handler());
  ctx2.poll();
  ch2.close(std::make_exception_ptr(std::runtime_error("signing failed")));
  ch3.close(std::exception_ptr());
  run_or_fail(ctx2);
  CHECK(waiting_receive == "signing failed");
  CHECK(plain_close == "end-of-stream");
}

namespace {

asio::awaitable<void> cancelled_receive_takes_nothing(channel<int>& ch, std::vector<std::string>& log) {
  const auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor, 5ms);
  auto first = co_await (ch.receive() || timer.async_wait(asio::use_awaitable));
  log.push_back(first.index() == 1 ? "timer" : "receive");
  co_await ch.send(7);
  auto item = co_await ch.receive();
  log.push_back(item ? std::to_string(*item) : "end-of-stream");
}

asio::awaitable<void> cancelled_send_enqueues_nothing(channel<int>& ch, std::vector<std::string>& log) {
  const auto executor = co_await asio::this_coro::executor;
  co_await ch.send(1);  // now full
  asio::steady_timer timer(executor, 5ms);
  auto first = co_await (ch.send(99) || timer.async_wait(asio::use_awaitable));
  log.push_back(first.index() == 1 ? "timer" : "send");
  ch.close();
  while (auto item = co_await ch.receive()) log.push_back(std::to_string(*item));
  log.push_back("end-of-stream");
}

asio::awaitable<void> cancellable_receive(channel<int>& ch, std::string& result) {
  try {
    auto item = co_await ch.receive();
    result = item ? std::to_string(*item) : "end-of-stream";
  } catch (const boost::system::system_error& e) {
    result = e.code() == asio::error::operation_aborted ? "aborted" : e.what();
  }
}

}  // namespace

TEST_CASE("channel: a cancelled receive takes nothing", "[channel][cancel]") {
  asio::io_context ctx;
  channel<int> ch(1);
  std::vector<std::string> log;
  outcomes done;
  asio::co_spawn(ctx, cancelled_receive_takes_nothing(ch, log), done.handler());
  run_or_fail(ctx);
  done.rethrow();
  CHECK(log == std::vector<std::string>{"timer", "7"});
}

TEST_CASE("channel: a cancelled send enqueues nothing", "[channel][cancel]") {
  asio::io_context ctx;
  channel<int> ch(1);
  std::vector<std::string> log;
  outcomes done;
  asio::co_spawn(ctx, cancelled_send_enqueues_nothing(ch, log), done.handler());
  run_or_fail(ctx);
  done.rethrow();
  CHECK(log == std::vector<std::string>{"timer", "1", "end-of-stream"});
}

TEST_CASE("channel: a receive cancelled through a co_spawn signal ends with operation_aborted", "[channel][cancel]") {
  asio::io_context ctx;
  channel<int> ch(1);
  asio::cancellation_signal signal;
  std::string cancelled, other;
  outcomes done;
  asio::co_spawn(ctx, cancellable_receive(ch, cancelled), asio::bind_cancellation_slot(signal.slot(), done.handler()));
  asio::co_spawn(ctx, cancellable_receive(ch, other), done.handler());
  ctx.poll();
  signal.emit(asio::cancellation_type::terminal);
  ctx.poll();
  CHECK(cancelled == "aborted");
  CHECK(other.empty());  // still waiting: the next item is its own
  std::atomic<int> sent{0};
  asio::co_spawn(ctx, send_all(ch, {5}, sent), done.handler());
  run_or_fail(ctx);
  done.rethrow();
  CHECK(other == "5");
}

namespace {

asio::awaitable<void> send_pointers(channel<std::unique_ptr<int>>& ch, int count) {
  for (int i = 0; i < count; ++i) co_await ch.send(std::make_unique<int>(i));
  ch.close();
}

asio::awaitable<void> receive_pointers(channel<std::unique_ptr<int>>& ch, std::vector<int>& out) {
  while (auto item = co_await ch.receive()) out.push_back(**item);
}

}  // namespace

TEST_CASE("channel: move-only items", "[channel]") {
  asio::io_context ctx;
  channel<std::unique_ptr<int>> ch(2);
  std::vector<int> received;
  outcomes done;
  asio::co_spawn(ctx, receive_pointers(ch, received), done.handler());
  asio::co_spawn(ctx, send_pointers(ch, 100), done.handler());
  run_or_fail(ctx);
  done.rethrow();
  REQUIRE(received.size() == 100);
  for (int i = 0; i < 100; ++i) CHECK(received[i] == i);
}

namespace {

asio::awaitable<void> send_range_then_close(channel<int>& ch, int count) {
  for (int i = 0; i < count; ++i) co_await ch.send(i);
  ch.close();
}

asio::awaitable<void> receive_all(channel<int>& ch, std::vector<int>& out) {
  while (auto item = co_await ch.receive()) out.push_back(*item);
}

}  // namespace

TEST_CASE("channel: producer and consumer on different io_contexts", "[channel][threads]") {
  asio::io_context producer_ctx, consumer_ctx;
  channel<int> ch(8);
  std::vector<int> received;
  outcomes done;
  asio::co_spawn(consumer_ctx, receive_all(ch, received), done.handler());
  asio::co_spawn(producer_ctx, send_range_then_close(ch, 20000), done.handler());
  bool producer_idle = false;
  std::thread producer_thread([&] { producer_idle = run_until_idle(producer_ctx); });
  const bool consumer_idle = run_until_idle(consumer_ctx);
  producer_thread.join();
  REQUIRE(producer_idle);
  REQUIRE(consumer_idle);
  done.rethrow();
  REQUIRE(received.size() == 20000);
  bool in_order = true;
  for (int i = 0; i < 20000; ++i) in_order = in_order && received[i] == i;
  CHECK(in_order);
}

// ---------------------------------------------------------------------------
// The matrix: consumers x producers x capacity on a 4-thread io_context, each
// producer and consumer on its own strand.

namespace {

constexpr int items_per_producer = 300;

struct matrix_point {
  int consumers;
  int producers;
  std::size_t capacity;
  int total() const { return producers * items_per_producer; }
};

// What the coroutines observed; only atomics, read on the test thread after
// the io_context has stopped.
struct tally {
  explicit tally(int items) : deliveries(static_cast<std::size_t>(items)) {}

  std::vector<std::atomic<int>> deliveries;  // per item
  std::atomic<int> received{0};
  std::atomic<int> end_of_stream{0};
  std::atomic<int> late_end_of_stream{0};
  std::atomic<int> errors{0};
  std::atomic<int> late_errors{0};
  std::atomic<int> aborted{0};
  std::atomic<int> producers_done{0};
  std::atomic<int> producer_errors{0};
  std::atomic<int> unexpected{0};

  int items_not_delivered_once() const {
    int wrong = 0;
    for (const auto& count : deliveries) wrong += count != 1;
    return wrong;
  }
  int items_delivered_twice() const {
    int wrong = 0;
    for (const auto& count : deliveries) wrong += count > 1;
    return wrong;
  }
};

asio::awaitable<void> yield() { co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable); }

asio::awaitable<void> produce(channel<int>& ch, int first, int count) {
  for (int i = 0; i < count; ++i) {
    co_await ch.send(first + i);
    if (i % 7 == 3) co_await yield();  // vary the interleaving
  }
}

// Returns how many items all consumers have received so far.
int record(tally& t, int item) {
  ++t.deliveries[static_cast<std::size_t>(item)];
  return ++t.received;
}

// Drains to end-of-stream, then checks that further receives keep saying so.
asio::awaitable<void> consume(channel<int>& ch, tally& t) {
  int n = 0;
  while (auto item = co_await ch.receive()) {
    record(t, *item);
    if (++n % 5 == 2) co_await yield();
  }
  ++t.end_of_stream;
  for (int i = 0; i < 3; ++i) {
    if (!co_await ch.receive()) ++t.late_end_of_stream;
  }
}

asio::awaitable<void> close_scenario(asio::io_context& ctx, channel<int>& ch, matrix_point p, tally& t) {
  const auto executor = co_await asio::this_coro::executor;
  task_group consumers(executor);
  task_group producers(executor);
  for (int c = 0; c < p.consumers; ++c) consumers.spawn(asio::make_strand(ctx), consume(ch, t));
  for (int i = 0; i < p.producers; ++i) {
    producers.spawn(asio::make_strand(ctx), produce(ch, i * items_per_producer, items_per_producer));
  }
  co_await producers.wait();
  ch.close();
  // Consumers that start only after the close.
  for (int c = 0; c < 2; ++c) consumers.spawn(asio::make_strand(ctx), consume(ch, t));
  co_await consumers.wait();
  if (!co_await ch.receive()) ++t.late_end_of_stream;
}

matrix_point generate_point() {
  const int consumers = GENERATE(1, 2, 7, 64);
  const int producers = GENERATE(1, 3, 8);
  const std::size_t capacity = GENERATE(std::size_t{1}, std::size_t{2}, std::size_t{16}, std::size_t{1024});
  return {consumers, producers, capacity};
}

// Runs one matrix scenario, made by `make(ch)`, on a strand of `ctx`
// (4 threads) until it and everything it spawned are done. The caller owns
// `ctx` so that state the scenario binds to its executors (cancellation
// signals) can be declared after it and so destroyed before it.
template <typename MakeScenario>
void run_matrix_scenario(asio::io_context& ctx, const matrix_point& p, MakeScenario make) {
  channel<int> ch(p.capacity);
  outcomes done;
  asio::co_spawn(asio::make_strand(ctx), make(ch), done.handler());
  run_or_fail(ctx, 4);
  done.rethrow();
  CHECK(done.finished == 1);
}

}  // namespace

TEST_CASE("channel matrix: close drains every item exactly once and ends every consumer", "[channel][matrix]") {
  const matrix_point p = generate_point();
  CAPTURE(p.consumers, p.producers, p.capacity);
  tally t(p.total());
  asio::io_context ctx(4);
  run_matrix_scenario(ctx, p, [&](channel<int>& ch) { return close_scenario(ctx, ch, p, t); });
  CHECK(t.items_not_delivered_once() == 0);
  CHECK(t.received == p.total());
  CHECK(t.end_of_stream == p.consumers + 2);
  CHECK(t.late_end_of_stream == 3 * (p.consumers + 2) + 1);
}

namespace {

bool is_error(std::exception_ptr error, const std::string& message) {
  return error && message_of(error) == message;
}

asio::awaitable<void> produce_until_closed(channel<int>& ch, int first, int count, tally& t, std::string expected) {
  try {
    co_await produce(ch, first, count);
    ++t.producers_done;
  } catch (...) {
    ++(is_error(std::current_exception(), expected) ? t.producer_errors : t.unexpected);
  }
}

// The consumer that takes the `threshold`-th item fails the stage.
asio::awaitable<void> consume_until_error(channel<int>& ch, tally& t, int threshold, std::string expected) {
  try {
    while (auto item = co_await ch.receive()) {
      if (record(t, *item) == threshold) ch.close(std::make_exception_ptr(std::runtime_error("consumer failed")));
    }
    ++t.end_of_stream;
  } catch (...) {
    ++(is_error(std::current_exception(), expected) ? t.errors : t.unexpected);
  }
  for (int i = 0; i < 3; ++i) {
    try {
      co_await ch.receive();
    } catch (...) {
      if (is_error(std::current_exception(), expected)) ++t.late_errors;
    }
  }
}

asio::awaitable<void> close_error_scenario(asio::io_context& ctx, channel<int>& ch, matrix_point p, tally& t) {
  const auto executor = co_await asio::this_coro::executor;
  task_group group(executor);
  for (int c = 0; c < p.consumers; ++c) {
    group.spawn(asio::make_strand(ctx), consume_until_error(ch, t, p.total() / 2, "consumer failed"));
  }
  for (int i = 0; i < p.producers; ++i) {
    group.spawn(asio::make_strand(ctx), produce_until_closed(ch, i * items_per_producer, items_per_producer, t,
                                                             "consumer failed"));
  }
  co_await group.wait();
  std::string late_send;
  co_await send_expecting_error(ch, 0, late_send);
  if (late_send != "consumer failed") ++t.unexpected;
}

}  // namespace

TEST_CASE("channel matrix: close(error) reaches every consumer and stops the producers", "[channel][matrix]") {
  const matrix_point p = generate_point();
  CAPTURE(p.consumers, p.producers, p.capacity);
  tally t(p.total());
  asio::io_context ctx(4);
  run_matrix_scenario(ctx, p, [&](channel<int>& ch) { return close_error_scenario(ctx, ch, p, t); });
  CHECK(t.unexpected == 0);
  CHECK(t.items_delivered_twice() == 0);
  CHECK(t.received >= p.total() / 2);
  CHECK(t.errors == p.consumers);  // nobody saw a clean end-of-stream
  CHECK(t.end_of_stream == 0);
  CHECK(t.late_errors == 3 * p.consumers);
  CHECK(t.producers_done + t.producer_errors == p.producers);
}

namespace {

// As a pipeline stage does it: a failing producer closes the channel with its
// error, so consumers stop at once, then reports it to its task group.
asio::awaitable<void> produce_or_fail(channel<int>& ch, int first, int count, bool fail) {
  try {
    co_await produce(ch, first, fail ? count / 2 : count);
    if (fail) throw std::runtime_error("producer failed");
  } catch (...) {
    ch.close(std::current_exception());
    throw;
  }
}

asio::awaitable<void> consume_expecting(channel<int>& ch, tally& t, std::string expected) {
  try {
    while (auto item = co_await ch.receive()) record(t, *item);
    ++t.end_of_stream;
  } catch (...) {
    ++(is_error(std::current_exception(), expected) ? t.errors : t.unexpected);
  }
  try {
    co_await ch.receive();
  } catch (...) {
    if (is_error(std::current_exception(), expected)) ++t.late_errors;
  }
}

asio::awaitable<void> failing_producer_scenario(asio::io_context& ctx, channel<int>& ch, matrix_point p, tally& t) {
  const auto executor = co_await asio::this_coro::executor;
  task_group consumers(executor);
  task_group producers(executor);
  for (int c = 0; c < p.consumers; ++c) consumers.spawn(asio::make_strand(ctx), consume_expecting(ch, t, "producer failed"));
  for (int i = 0; i < p.producers; ++i) {
    producers.spawn(asio::make_strand(ctx),
                    produce_or_fail(ch, i * items_per_producer, items_per_producer, i == p.producers / 2));
  }
  try {
    co_await producers.wait();
  } catch (...) {
    ++(is_error(std::current_exception(), "producer failed") ? t.producer_errors : t.unexpected);
  }
  co_await consumers.wait();
}

}  // namespace

TEST_CASE("channel matrix: a producer that throws stops producers and consumers", "[channel][matrix]") {
  const matrix_point p = generate_point();
  CAPTURE(p.consumers, p.producers, p.capacity);
  tally t(p.total());
  asio::io_context ctx(4);
  run_matrix_scenario(ctx, p, [&](channel<int>& ch) { return failing_producer_scenario(ctx, ch, p, t); });
  CHECK(t.unexpected == 0);
  CHECK(t.producer_errors == 1);  // the group reported the producer's error
  CHECK(t.items_delivered_twice() == 0);
  CHECK(t.errors == p.consumers);
  CHECK(t.end_of_stream == 0);
  CHECK(t.late_errors == p.consumers);
}

namespace {

// A consumer that, after a few items, asks for its own cancellation on its
// strand: the request lands while it waits in receive() or while a handed-over
// item is on its way to it. Either way no item may vanish or repeat.
asio::awaitable<void> consume_then_cancel(channel<int>& ch, tally& t, asio::cancellation_signal* self,
                                          bool cancel) {
  try {
    int n = 0;
    while (auto item = co_await ch.receive()) {
      record(t, *item);
      if (cancel && ++n == 3) {
        asio::post(co_await asio::this_coro::executor, [self] { self->emit(asio::cancellation_type::terminal); });
      }
    }
    ++t.end_of_stream;
  } catch (const boost::system::system_error& e) {
    ++(e.code() == asio::error::operation_aborted ? t.aborted : t.unexpected);
  }
}

asio::awaitable<void> cancel_scenario(asio::io_context& ctx, channel<int>& ch, matrix_point p, tally& t,
                                      std::vector<asio::cancellation_signal>& signals, outcomes& consumers_done) {
  const auto executor = co_await asio::this_coro::executor;
  for (int c = 0; c < p.consumers; ++c) {
    auto* signal = &signals[static_cast<std::size_t>(c)];
    asio::co_spawn(asio::make_strand(ctx), consume_then_cancel(ch, t, signal, c < p.consumers / 2),
                   asio::bind_cancellation_slot(signal->slot(), consumers_done.handler()));
  }
  task_group producers(executor);
  for (int i = 0; i < p.producers; ++i) {
    producers.spawn(asio::make_strand(ctx), produce(ch, i * items_per_producer, items_per_producer));
  }
  co_await producers.wait();
  ch.close();
}

}  // namespace

TEST_CASE("channel matrix: cancelled consumers take nothing, the others drain everything", "[channel][matrix][cancel]") {
  const matrix_point p = generate_point();
  CAPTURE(p.consumers, p.producers, p.capacity);
  tally t(p.total());
  asio::io_context ctx(4);
  std::vector<asio::cancellation_signal> signals(static_cast<std::size_t>(p.consumers));
  outcomes consumers_done;
  run_matrix_scenario(ctx, p, [&](channel<int>& ch) {
    return cancel_scenario(ctx, ch, p, t, signals, consumers_done);
  });
  consumers_done.rethrow();
  CHECK(consumers_done.finished == p.consumers);
  CHECK(t.unexpected == 0);
  CHECK(t.items_not_delivered_once() == 0);
  CHECK(t.aborted <= p.consumers / 2);
  CHECK(t.aborted + t.end_of_stream == p.consumers);
  CHECK(t.end_of_stream >= p.consumers - p.consumers / 2);
}
