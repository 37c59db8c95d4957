// JSON lines cost: ns per manifest line ({"key":…,"url":…} with a ~300-char
// presigned URL) into an in-memory sink, with heap allocations per line
// counted (the writer should make none once warm); and escaping throughput
// in MB/s for ASCII and for UTF-8-heavy text, next to simdjson's SIMD UTF-8
// validator as a reference floor for the validation part.
#include <benchmark/benchmark.h>

#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "s3co/sinks/json_escape.hpp"
#include "s3co/sinks/jsonl_writer.hpp"

// Counts every heap allocation in the process. (Kept out of line: inlined,
// g++ would pair the callers' `new` with this `free` and warn.)
namespace {
std::atomic<std::uint64_t> allocations{0};
}

[[gnu::noinline]] void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

namespace asio = boost::asio;
using namespace s3co::sinks;

// Takes chunks into memory it reuses, like a buffer that is shipped and reset.
struct memory_sink {
  std::string last;
  std::uint64_t bytes = 0;
  std::uint64_t writes = 0;
  asio::awaitable<void> write(std::string_view chunk) {
    last.assign(chunk);
    bytes += chunk.size();
    ++writes;
    co_return;
  }
};

struct manifest_line {
  std::string key;
  std::string url;
};

const std::vector<manifest_line>& manifest_lines() {
  static const std::vector<manifest_line> lines = [] {
    std::vector<manifest_line> made;
    for (int i = 0; i < 1000; ++i) {
      std::string key = "2026/04/report-" + std::to_string(100000 + i) + ".pdf";
      std::string url = "http://127.0.0.1:7480/bench/" + key;
      url.append(
          "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260401%2Fus-east-1%2Fs3%2Faws4_"
          "request&X-Amz-Date=20260401T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=");
      for (int j = 0; j < 64; ++j) url.push_back("0123456789abcdef"[(i * 7 + j * 13) % 16]);
      made.push_back({std::move(key), std::move(url)});
    }
    return made;
  }();
  return lines;
}

void jsonl_manifest_line(benchmark::State& state) {
  const auto& lines = manifest_lines();
  memory_sink sink;
  jsonl_writer writer(sink);
  asio::io_context io;
  std::uint64_t allocations_in_loop = 0;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        // Warm up: the buffer and the sink reach their working size.
        for (int i = 0; i < 2000; ++i) {
          const auto& line = lines[static_cast<std::size_t>(i) % lines.size()];
          const jsonl_field record[] = {{"key", line.key}, {"url", line.url}};
          co_await writer.write_record(record);
        }
        std::size_t i = 0;
        const auto before = allocations.load(std::memory_order_relaxed);
        for (auto _ : state) {
          const auto& line = lines[i];
          const jsonl_field record[] = {{"key", line.key}, {"url", line.url}};
          co_await writer.write_record(record);
          if (++i == lines.size()) i = 0;
        }
        allocations_in_loop = allocations.load(std::memory_order_relaxed) - before;
        co_await writer.flush();
      },
      asio::detached);
  io.run();
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(writer.bytes() * state.iterations() / writer.lines()));
  state.counters["line_bytes"] = static_cast<double>(writer.bytes()) / static_cast<double>(writer.lines());
  state.counters["allocs_per_line"] =
      static_cast<double>(allocations_in_loop) / static_cast<double>(std::max<std::int64_t>(state.iterations(), 1));
  state.counters["sink_writes"] = static_cast<double>(sink.writes);
}
BENCHMARK(jsonl_manifest_line);

std::string ascii_text() {
  std::string text;
  const auto& lines = manifest_lines();
  for (std::size_t i = 0; text.size() < 64 * 1024; ++i) text += lines[i % lines.size()].url;
  return text;
}

// Mixed scripts: 2-, 3- and 4-byte sequences with ASCII between them.
std::string utf8_heavy_text() {
  const std::string piece = "Grüße aus Köln — 東京の報告書 2026年4月 🙂📄 Ελληνικά Кириллица ";
  std::string text;
  while (text.size() < 64 * 1024) text += piece;
  return text;
}

void escape(benchmark::State& state, const std::string& text) {
  std::string out;
  out.reserve(text.size() + 1024);
  for (auto _ : state) {
    out.clear();
    if (!append_json_string(out, text)) state.SkipWithError("invalid UTF-8");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(text.size()) * state.iterations());
}

void escape_ascii(benchmark::State& state) { escape(state, ascii_text()); }
void escape_utf8_heavy(benchmark::State& state) { escape(state, utf8_heavy_text()); }
BENCHMARK(escape_ascii);
BENCHMARK(escape_utf8_heavy);

void validate_ours(benchmark::State& state, const std::string& text) {
  for (auto _ : state) benchmark::DoNotOptimize(is_valid_utf8(text));
  state.SetBytesProcessed(static_cast<std::int64_t>(text.size()) * state.iterations());
}
void validate_simdjson(benchmark::State& state, const std::string& text) {
  for (auto _ : state) benchmark::DoNotOptimize(simdjson::validate_utf8(text));
  state.SetBytesProcessed(static_cast<std::int64_t>(text.size()) * state.iterations());
}
void validate_utf8_heavy_ours(benchmark::State& state) { validate_ours(state, utf8_heavy_text()); }
void validate_utf8_heavy_simdjson(benchmark::State& state) { validate_simdjson(state, utf8_heavy_text()); }
BENCHMARK(validate_utf8_heavy_ours);
BENCHMARK(validate_utf8_heavy_simdjson);

}  // namespace

BENCHMARK_MAIN();
