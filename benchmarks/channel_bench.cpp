// Channel hand-off: items per second through s3co::flow::channel from
// producer coroutines to consumer coroutines, on one thread and on two, at
// capacity 1 (every item a rendezvous) and 1024 (mostly buffered). Boost's
// experimental concurrent_channel runs the same hand-off for reference (it
// cannot be the s3co channel: its close() discards buffered items, so here
// its producer ends the stream with a sentinel instead).
//
// Each iteration moves `batch_items` on a fresh io_context, so the figures
// include co_spawn and thread start-up, amortised over the batch.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "s3co/flow/channel.hpp"
#include "s3co/flow/task_group.hpp"

namespace {

namespace asio = boost::asio;
using s3co::flow::channel;

constexpr int batch_items = 200000;

// Runs `ctx` on `threads` threads until it runs out of work.
void run(asio::io_context& ctx, int threads) {
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&] { ctx.run(); });
  ctx.run();
  for (auto& thread : pool) thread.join();
}

asio::awaitable<void> produce(channel<std::int64_t>& ch, std::int64_t first, std::int64_t count) {
  for (std::int64_t i = first; i < first + count; ++i) co_await ch.send(i);
}

asio::awaitable<void> produce_then_close(channel<std::int64_t>& ch, std::int64_t count) {
  co_await produce(ch, 0, count);
  ch.close();
}

asio::awaitable<void> consume(channel<std::int64_t>& ch, std::int64_t& sum) {
  while (auto item = co_await ch.receive()) sum += *item;
}

void s3co_handoff(benchmark::State& state, int threads) {
  const auto capacity = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    asio::io_context ctx(threads);
    channel<std::int64_t> ch(capacity);
    std::int64_t sum = 0;
    asio::co_spawn(ctx, consume(ch, sum), asio::detached);
    asio::co_spawn(ctx, produce_then_close(ch, batch_items), asio::detached);
    run(ctx, threads);
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * batch_items);
}

// 4 producers and 4 consumers sharing one channel.
asio::awaitable<void> mpmc_round(asio::io_context& ctx, channel<std::int64_t>& ch, std::vector<std::int64_t>& sums) {
  s3co::flow::task_group consumers(ctx.get_executor());
  s3co::flow::task_group producers(ctx.get_executor());
  for (auto& sum : sums) consumers.spawn(consume(ch, sum));
  constexpr std::int64_t share = batch_items / 4;
  for (std::int64_t p = 0; p < 4; ++p) producers.spawn(produce(ch, p * share, share));
  co_await producers.wait();
  ch.close();
  co_await consumers.wait();
}

void s3co_mpmc(benchmark::State& state, int threads) {
  const auto capacity = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    asio::io_context ctx(threads);
    channel<std::int64_t> ch(capacity);
    std::vector<std::int64_t> sums(4);
    asio::co_spawn(ctx, mpmc_round(ctx, ch, sums), asio::detached);
    run(ctx, threads);
    benchmark::DoNotOptimize(sums.data());
  }
  state.SetItemsProcessed(state.iterations() * batch_items);
}

using asio_channel = asio::experimental::concurrent_channel<void(boost::system::error_code, std::int64_t)>;

asio::awaitable<void> asio_produce(asio_channel& ch, std::int64_t count) {
  for (std::int64_t i = 0; i < count; ++i) co_await ch.async_send(boost::system::error_code(), i, asio::use_awaitable);
  co_await ch.async_send(boost::system::error_code(), -1, asio::use_awaitable);
}

asio::awaitable<void> asio_consume(asio_channel& ch, std::int64_t& sum) {
  for (;;) {
    const std::int64_t item = co_await ch.async_receive(asio::use_awaitable);
    if (item < 0) break;
    sum += item;
  }
}

void asio_handoff(benchmark::State& state, int threads) {
  const auto capacity = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    asio::io_context ctx(threads);
    asio_channel ch(ctx, capacity);
    std::int64_t sum = 0;
    asio::co_spawn(ctx, asio_consume(ch, sum), asio::detached);
    asio::co_spawn(ctx, asio_produce(ch, batch_items), asio::detached);
    run(ctx, threads);
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * batch_items);
}

}  // namespace

BENCHMARK_CAPTURE(s3co_handoff, one_thread, 1)->Arg(1)->Arg(1024)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(s3co_handoff, two_threads, 2)->Arg(1)->Arg(1024)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(s3co_mpmc, one_thread, 1)->Arg(1)->Arg(1024)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(s3co_mpmc, two_threads, 2)->Arg(1)->Arg(1024)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(asio_handoff, one_thread, 1)->Arg(1)->Arg(1024)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(asio_handoff, two_threads, 2)->Arg(1)->Arg(1024)->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
