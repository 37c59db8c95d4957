#include "s3co/sinks/file_sink.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <sstream>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "support/run_async.hpp"

using namespace s3co::sinks;
namespace asio = boost::asio;

namespace {

// Runs a coroutine to completion; its exception, if any, is rethrown here.
template <typename MakeCoroutine>
void run(MakeCoroutine make) {
  s3co::testing::run_async(make());
}

// A fresh path in a fresh folder, both removed at the end of the test.
class temp_folder {
 public:
  temp_folder() {
    std::random_device seed;
    path_ = std::filesystem::temp_directory_path() /
            ("s3co-file-sink-" + std::to_string(seed()) + "-" + std::to_string(seed()));
    std::filesystem::create_directories(path_);
  }
  temp_folder(const temp_folder&) = delete;
  temp_folder& operator=(const temp_folder&) = delete;
  ~temp_folder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// The system_error `body` throws; fails the test when it throws nothing.
template <typename Body>
std::system_error system_error_of(Body body) {
  try {
    body();
  } catch (const std::system_error& error) {
    return error;
  }
  FAIL("no std::system_error");
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("file_sink writes, flushes and closes", "[file_sink]") {
  temp_folder folder;
  const std::string path = folder.file("out.jsonl");
  std::string big(300000, 'x');
  for (std::size_t i = 0; i < big.size(); i += 100) big[i] = '\n';
  run([&]() -> asio::awaitable<void> {
    file_sink sink(path);
    CHECK(sink.is_open());
    CHECK(sink.path() == path);
    co_await sink.write("hello ");
    co_await sink.write("");
    co_await sink.write(big);
    co_await sink.flush();
    CHECK(sink.bytes_written() == 6 + big.size());
    co_await sink.close();
    CHECK_FALSE(sink.is_open());
    co_await sink.close();  // closing twice does nothing
  });
  CHECK(read_file(path) == "hello " + big);
}

TEST_CASE("file_sink modes: truncate, append, create_new", "[file_sink]") {
  temp_folder folder;
  const std::string path = folder.file("modes.txt");
  run([&]() -> asio::awaitable<void> {
    {
      file_sink sink(path);
      co_await sink.write("first\n");
    }
    {
      file_sink sink(path, file_mode::append);
      co_await sink.write("second\n");
    }
  });
  CHECK(read_file(path) == "first\nsecond\n");
  run([&]() -> asio::awaitable<void> {
    file_sink sink(path, file_mode::truncate);
    co_await sink.write("third\n");
  });
  CHECK(read_file(path) == "third\n");

  const auto error = system_error_of([&] { file_sink sink(path, file_mode::create_new); });
  CHECK(error.code() == std::errc::file_exists);
  CHECK_THAT(error.what(), Catch::Contains("open " + path));
  CHECK(read_file(path) == "third\n");
}

TEST_CASE("file_sink errors name the operation and the path", "[file_sink]") {
  temp_folder folder;
  const std::string missing = folder.file("no/such/folder/out.txt");
  const auto open_error = system_error_of([&] { file_sink sink(missing); });
  CHECK(open_error.code() == std::errc::no_such_file_or_directory);
  CHECK_THAT(open_error.what(), Catch::Contains(missing));

  // /dev/full accepts the open and fails every write with ENOSPC.
  if (std::filesystem::exists("/dev/full")) {
    const auto write_error = system_error_of([&] {
      run([&]() -> asio::awaitable<void> {
        file_sink sink("/dev/full");
        co_await sink.write("no room");
      });
    });
    CHECK(write_error.code() == std::errc::no_space_on_device);
    CHECK_THAT(write_error.what(), Catch::Contains("write /dev/full"));
  }

  const std::string path = folder.file("closed.txt");
  const auto closed_error = system_error_of([&] {
    run([&]() -> asio::awaitable<void> {
      file_sink sink(path);
      co_await sink.close();
      co_await sink.write("too late");
    });
  });
  CHECK(closed_error.code() == std::errc::bad_file_descriptor);
  CHECK_THAT(closed_error.what(), Catch::Contains(path));
  CHECK_THAT(closed_error.what(), Catch::Contains("closed"));

  const auto flush_error = system_error_of([&] {
    run([&]() -> asio::awaitable<void> {
      file_sink sink(path);
      co_await sink.close();
      co_await sink.flush();
    });
  });
  CHECK(flush_error.code() == std::errc::bad_file_descriptor);
}

TEST_CASE("file_sink flush on a device that cannot sync is not an error", "[file_sink]") {
  run([]() -> asio::awaitable<void> {
    file_sink sink("/dev/null", file_mode::append);
    co_await sink.write("discarded");
    co_await sink.flush();
    co_await sink.close();
  });
}

TEST_CASE("file_sink moves its descriptor", "[file_sink]") {
  temp_folder folder;
  const std::string first = folder.file("a.txt");
  const std::string second = folder.file("b.txt");
  run([&]() -> asio::awaitable<void> {
    file_sink a(first);
    co_await a.write("A");
    file_sink moved(std::move(a));
    CHECK(moved.is_open());
    CHECK(moved.bytes_written() == 1);
    co_await moved.write("A");
    file_sink b(second);
    b = std::move(moved);  // closes b's file, takes a's
    CHECK(b.path() == first);
    co_await b.write("A");
    co_await b.close();
  });
  CHECK(read_file(first) == "AAA");
  CHECK(read_file(second).empty());
}
