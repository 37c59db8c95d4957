#include "s3co/sinks/jsonl_writer.hpp"
#include "s3co/sinks/file_sink.hpp"

#include <catch2/catch.hpp>

#include <simdjson.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include "support/run_async.hpp"

using namespace s3co::sinks;
namespace asio = boost::asio;

namespace {

// Runs a coroutine to completion; its exception, if any, is rethrown here.
template <typename MakeCoroutine>
void run(MakeCoroutine make) {
  s3co::testing::run_async(make());
}

// Keeps a copy of every chunk it is given.
struct recording_sink {
  std::vector<std::string> writes;
  bool fail_next = false;

  asio::awaitable<void> write(std::string_view bytes) {
    if (fail_next) {
      fail_next = false;
      throw std::runtime_error("sink failed");
    }
    writes.emplace_back(bytes);
    co_return;
  }

  std::string all() const {
    std::string joined;
    for (const auto& chunk : writes) joined += chunk;
    return joined;
  }
};
static_assert(AsyncByteSink<recording_sink>);

// Suspends on a timer before taking the bytes, like a network sink.
struct slow_sink {
  std::string received;
  asio::awaitable<void> write(std::string_view bytes) {
    asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(20));
    co_await timer.async_wait(asio::use_awaitable);
    received.append(bytes);
  }
};
static_assert(AsyncByteSink<slow_sink>);

struct not_a_sink {
  void write(std::string_view) {}
};
static_assert(!AsyncByteSink<not_a_sink>);

// Splits `text` into lines (each must end with '\n'), parses every one with
// simdjson and returns (key, url) per line.
std::vector<std::pair<std::string, std::string>> parse_lines(const std::string& text) {
  REQUIRE((text.empty() || text.back() == '\n'));
  simdjson::dom::parser parser;
  std::vector<std::pair<std::string, std::string>> records;
  std::size_t begin = 0;
  while (begin < text.size()) {
    const std::size_t end = text.find('\n', begin);
    const std::string line = text.substr(begin, end - begin);
    INFO("line: " << line);
    simdjson::dom::element doc;
    REQUIRE(parser.parse(line).get(doc) == simdjson::SUCCESS);
    simdjson::dom::object object;
    REQUIRE(doc.get_object().get(object) == simdjson::SUCCESS);
    REQUIRE(object.size() == 2);
    std::string_view key, url;
    REQUIRE(object["key"].get_string().get(key) == simdjson::SUCCESS);
    REQUIRE(object["url"].get_string().get(url) == simdjson::SUCCESS);
    records.emplace_back(std::string(key), std::string(url));
    begin = end + 1;
  }
  return records;
}

std::string key_of(int i) { return "2026/04/report-" + std::to_string(100000 + i) + ".pdf"; }
std::string url_of(int i) {
  std::string url("http://127.0.0.1:7480/bench/");
  url.append(key_of(i)).append("?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=");
  url.append(64, static_cast<char>('a' + i % 26));
  return url;
}

}  // namespace

TEST_CASE("jsonl_writer hands the sink chunks of whole lines of at least chunk_size", "[jsonl_writer]") {
  recording_sink sink;
  constexpr int records = 20000;
  std::uint64_t expected_bytes = 0;
  run([&]() -> asio::awaitable<void> {
    jsonl_writer writer(sink);
    CHECK(writer.chunk_size() == 64 * 1024);
    for (int i = 0; i < records; ++i) {
      const std::string key = key_of(i);
      const std::string url = url_of(i);
      const jsonl_field record[] = {{"key", key}, {"url", url}};
      co_await writer.write_record(record);
      expected_bytes += 20 + key.size() + url.size();  // {"key":"","url":""}\n
    }
    CHECK(writer.lines() == records);
    CHECK(writer.bytes() == expected_bytes);
    co_await writer.flush();
    CHECK(writer.buffered_bytes() == 0);
    const auto calls = sink.writes.size();
    co_await writer.flush();  // nothing left: no call
    CHECK(sink.writes.size() == calls);
  });
  REQUIRE(sink.writes.size() >= 2);
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < sink.writes.size(); ++i) {
    INFO("write " << i << " of " << sink.writes.size());
    const std::string& chunk = sink.writes[i];
    total += chunk.size();
    CHECK(chunk.back() == '\n');  // whole lines only
    if (i + 1 < sink.writes.size()) {
      CHECK(chunk.size() >= 64 * 1024);
      CHECK(chunk.size() < 64 * 1024 + 512);  // not much past the threshold: one line at most
    }
  }
  CHECK(total == expected_bytes);
  // Few calls: about one per 64 KiB.
  CHECK(sink.writes.size() <= expected_bytes / (64 * 1024) + 1);

  const auto parsed = parse_lines(sink.all());
  REQUIRE(parsed.size() == records);
  for (int i = 0; i < records; ++i) {
    REQUIRE(parsed[i].first == key_of(i));
    REQUIRE(parsed[i].second == url_of(i));
  }
}

TEST_CASE("jsonl_writer holds lines until a chunk is full or it is flushed", "[jsonl_writer]") {
  recording_sink sink;
  run([&]() -> asio::awaitable<void> {
    jsonl_writer writer(sink, 1000);
    const std::initializer_list<jsonl_field> record = {{"key", "a"}, {"url", "b"}};
    for (int i = 0; i < 10; ++i) co_await writer.write_record(record);
    CHECK(sink.writes.empty());
    CHECK(writer.buffered_bytes() == 10 * 22);
    co_await writer.flush();
    REQUIRE(sink.writes.size() == 1);
    CHECK(sink.writes[0].size() == 220);
  });
  CHECK(parse_lines(sink.all()).size() == 10);
}

TEST_CASE("jsonl_writer with chunk_size 1 writes every line at once", "[jsonl_writer]") {
  recording_sink sink;
  run([&]() -> asio::awaitable<void> {
    jsonl_writer writer(sink, 1);
    for (int i = 0; i < 5; ++i) {
      const std::string key = key_of(i);
      const std::string url = url_of(i);
      const jsonl_field record[] = {{"key", key}, {"url", url}};
      co_await writer.write_record(record);
      CHECK(sink.writes.size() == static_cast<std::size_t>(i + 1));
    }
  });
  CHECK(parse_lines(sink.all()).size() == 5);
  CHECK_THROWS_AS(jsonl_writer<recording_sink>(sink, 0), std::invalid_argument);
}

TEST_CASE("jsonl_writer escapes names and values", "[jsonl_writer]") {
  recording_sink sink;
  const std::vector<std::string> tricky{"",
                                        "with \"quotes\" and \\backslash\\",
                                        "new\nline\r\ttab\b\f",
                                        std::string("nul\0byte", 8),
                                        "\x01\x1f\x7f",
                                        "Grüße/東京/🙂 file.pdf",
                                        "a//b/./../c ;=&*()+~%"};
  run([&]() -> asio::awaitable<void> {
    jsonl_writer writer(sink);
    for (const auto& text : tricky) {
      const std::string url = text + "?x";  // a named string: the field is only a view
      const jsonl_field record[] = {{"key", text}, {"url", url}};
      co_await writer.write_record(record);
    }
    const jsonl_field odd_names[] = {{"na\"me", "v"}, {"é", "w"}};
    co_await writer.write_record(odd_names);
    co_await writer.flush();
  });
  const std::string text = sink.all();
  const std::size_t last_line = text.rfind('\n', text.size() - 2) + 1;
  const auto parsed = parse_lines(text.substr(0, last_line));
  REQUIRE(parsed.size() == tricky.size());
  for (std::size_t i = 0; i < tricky.size(); ++i) {
    CHECK(parsed[i].first == tricky[i]);
    CHECK(parsed[i].second == tricky[i] + "?x");
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(text.substr(last_line)).get(doc) == simdjson::SUCCESS);
  CHECK(std::string_view(doc["na\"me"]) == "v");
  CHECK(std::string_view(doc["é"]) == "w");
}

TEST_CASE("jsonl_writer rejects a record with invalid UTF-8 and rolls it back", "[jsonl_writer]") {
  recording_sink sink;
  run([&]() -> asio::awaitable<void> {
    jsonl_writer writer(sink);
    const jsonl_field good[] = {{"key", "good-1"}, {"url", "u1"}};
    co_await writer.write_record(good);
    const auto lines = writer.lines();
    const auto bytes = writer.bytes();
    const auto buffered = writer.buffered_bytes();

    const jsonl_field bad_value[] = {{"key", "fine"}, {"url", "http://x/caf\xE9"}};
    try {
      co_await writer.write_record(bad_value);
      FAIL("accepted invalid UTF-8");
    } catch (const invalid_record& error) {
      CHECK(error.field_index() == 1);
      CHECK(error.where() == invalid_record::part::value);
      CHECK(error.offset() == 12);
      CHECK_THAT(error.what(), Catch::Contains("field 1 value"));
      CHECK_THAT(error.what(), !Catch::Contains("http://"));  // the value is not quoted
    }
    const jsonl_field bad_name[] = {{"k\xC0\xAF", "v"}};
    CHECK_THROWS_AS(writer.write_record(bad_name), invalid_record);
    const jsonl_field surrogate[] = {{"key", "ok"}, {"url", "ok"}, {"x", "\xED\xA0\x80"}};
    CHECK_THROWS_AS(writer.write_record(surrogate), std::invalid_argument);

    CHECK(writer.lines() == lines);
    CHECK(writer.bytes() == bytes);
    CHECK(writer.buffered_bytes() == buffered);

    // Still usable.
    const jsonl_field good2[] = {{"key", "good-2"}, {"url", "u2"}};
    co_await writer.write_record(good2);
    co_await writer.flush();
    CHECK(writer.lines() == 2);
  });
  const auto parsed = parse_lines(sink.all());
  REQUIRE(parsed.size() == 2);
  CHECK(parsed[0].first == "good-1");
  CHECK(parsed[1].first == "good-2");
}

TEST_CASE("jsonl_writer keeps a chunk the sink refused", "[jsonl_writer]") {
  recording_sink sink;
  run([&]() -> asio::awaitable<void> {
    jsonl_writer writer(sink, 1);
    sink.fail_next = true;
    const jsonl_field first[] = {{"key", "1"}, {"url", "u"}};
    CHECK_THROWS_WITH(co_await writer.write_record(first), "sink failed");
    CHECK(sink.writes.empty());
    CHECK(writer.buffered_bytes() == 22);
    co_await writer.flush();  // offered again
    CHECK(writer.buffered_bytes() == 0);
  });
  const auto parsed = parse_lines(sink.all());
  REQUIRE(parsed.size() == 1);
  CHECK(parsed[0].first == "1");
}

TEST_CASE("jsonl_writer refuses a second writer while a chunk is in flight", "[jsonl_writer]") {
  slow_sink sink;
  asio::io_context io;
  jsonl_writer writer(sink, 1);
  const jsonl_field record[] = {{"key", "k"}, {"url", "u"}};
  auto first = asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { co_await writer.write_record(record); }, asio::use_future);
  auto second = asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { co_await writer.write_record(record); }, asio::use_future);
  io.run();
  first.get();
  CHECK_THROWS_AS(second.get(), std::logic_error);
  CHECK(sink.received == "{\"key\":\"k\",\"url\":\"u\"}\n");
  CHECK(writer.lines() == 1);
}

TEST_CASE("jsonl_writer into a file_sink: every line parses back", "[jsonl_writer]") {
  const auto path = std::filesystem::temp_directory_path() /
                    ("s3co-jsonl-" + std::to_string(std::random_device{}()) + ".jsonl");
  constexpr int records = 5000;
  run([&]() -> asio::awaitable<void> {
    file_sink file(path.string());
    jsonl_writer writer(file, 4096);
    for (int i = 0; i < records; ++i) {
      const std::string key = key_of(i);
      const std::string url = url_of(i);
      const jsonl_field record[] = {{"key", key}, {"url", url}};
      co_await writer.write_record(record);
    }
    co_await writer.flush();
    co_await file.flush();
    CHECK(file.bytes_written() == writer.bytes());
    co_await file.close();
  });
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  std::filesystem::remove(path);
  const auto parsed = parse_lines(contents.str());
  REQUIRE(parsed.size() == records);
  CHECK(parsed.back().first == key_of(records - 1));
}

TEST_CASE("records of up to four fields can be written as arguments inside co_await", "[jsonl]") {
  recording_sink sink;
  jsonl_writer writer(sink, 1);
  const std::string key = "a/b.pdf";
  s3co::testing::run_async([&]() -> boost::asio::awaitable<void> {
    co_await writer.write_record({"key", key});
    co_await writer.write_record({"key", key}, {"url", "u"});
    co_await writer.write_record({"a", "1"}, {"b", "2"}, {"c", "3"});
    co_await writer.write_record({"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"});
  }());
  CHECK(sink.all() == "{\"key\":\"a/b.pdf\"}\n{\"key\":\"a/b.pdf\",\"url\":\"u\"}\n"
                         "{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}\n{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\",\"d\":\"4\"}\n");
}
