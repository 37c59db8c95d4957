#include "s3co/s3/multipart_upload.hpp"
#include "s3co/sinks/async_byte_sink.hpp"

#include <catch2/catch.hpp>

#include <map>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "support/fake_sender.hpp"
#include "support/run_async.hpp"

using namespace s3co;
using s3co::testing::answer;
using s3co::testing::fake_sender;

// The manifest writer streams into an upload through this concept.
static_assert(s3co::sinks::AsyncByteSink<s3co::s3::multipart_upload_stream<fake_sender>>);
using s3co::testing::run_async;

namespace {

constexpr std::size_t part = s3::min_part_size;

// How the double answers the upload's final request (PutObject or
// CompleteMultipartUpload).
enum class final_answer { ok, lost, server_error, refused };

// An S3 double for multipart uploads; `fail_part` makes that part's upload
// answer 500 InternalError.
struct multipart_double {
  int fail_part = 0;
  bool aborts_fail = false;  // every AbortMultipartUpload answers 503 SlowDown
  final_answer final = final_answer::ok;
  // "POST uploads", "PUT part N size", "POST complete", "DELETE upload", "PUT object size", "DELETE object"
  std::vector<std::string> log;
  std::string completed_body;
  std::map<int, std::string> part_bodies;  // by part number

  http::response final_response(http::response ok) {
    switch (final) {
      case final_answer::ok: return ok;
      case final_answer::lost:
        throw http::transport_error(std::make_error_code(std::errc::connection_reset), "final request (lost)", 3);
      case final_answer::server_error: return answer(500, "<Error><Code>InternalError</Code></Error>");
      case final_answer::refused: return answer(412, "<Error><Code>PreconditionFailed</Code></Error>");
    }
    return ok;
  }

  http::response operator()(const http::request& request) {
    const auto& target = request.target;
    const auto body_size = [&] {
      const auto bytes = http::in_memory_bytes(request.body);
      return bytes ? bytes->size() : 0;
    };
    if (request.method == aws::http_method::post && target.find("?uploads") != std::string::npos) {
      log.push_back("POST uploads");
      return answer(200, "<InitiateMultipartUploadResult><UploadId>UP1</UploadId></InitiateMultipartUploadResult>");
    }
    if (request.method == aws::http_method::put && target.find("partNumber=") != std::string::npos) {
      const int number = std::stoi(target.substr(target.find("partNumber=") + 11));
      log.push_back("PUT part " + std::to_string(number) + " " + std::to_string(body_size()));
      const auto bytes = http::in_memory_bytes(request.body);
      part_bodies[number] = std::string(bytes ? *bytes : std::string_view());
      if (number == fail_part) return answer(500, "<Error><Code>InternalError</Code></Error>");
      return answer(200, "", {{"ETag", "\"etag-" + std::to_string(number) + "\""}});
    }
    if (request.method == aws::http_method::post && target.find("uploadId=UP1") != std::string::npos) {
      log.push_back("POST complete");
      completed_body = std::get<std::string>(request.body);
      return final_response(answer(200, "<CompleteMultipartUploadResult><ETag></ETag></CompleteMultipartUploadResult>"));
    }
    if (request.method == aws::http_method::delete_) {
      const bool upload = target.find("uploadId=") != std::string::npos;
      log.push_back(upload ? "DELETE upload" : "DELETE object");
      if (upload && aborts_fail) return answer(503, "<Error><Code>SlowDown</Code></Error>");
      return answer(204);
    }
    if (request.method == aws::http_method::put) {
      log.push_back("PUT object " + std::to_string(body_size()));
      return final_response(answer(200, "", {{"ETag", "\"single\""}}));
    }
    return answer(400);
  }
};

struct fixture {
  // Declared first, destroyed last: a stream must not outlive the io_context
  // it ran on (its part-outcome channel belongs to that context).
  boost::asio::io_context context;
  multipart_double s3_double;
  fake_sender sender{[this](const http::request& request) { return s3_double(request); }};
  s3::client<fake_sender> s3{sender, {"AKID", "secret", ""}, "us-east-1",
                             aws::parse_endpoint_url("http://127.0.0.1:7480")};
};

template <typename Stream>
boost::asio::awaitable<void> write_in_chunks(Stream& stream, std::size_t total, std::size_t chunk) {
  const std::string data(chunk, 'x');
  for (std::size_t written = 0; written < total; written += chunk) {
    co_await stream.write(std::string_view(data).substr(0, std::min(chunk, total - written)));
  }
}

}  // namespace

TEST_CASE("an upload under one part is a single PutObject", "[multipart]") {
  for (const std::size_t size : {std::size_t{0}, std::size_t{1000}, part}) {
    fixture f;
    s3::multipart_upload_stream stream(f.s3, "bucket", "manifest.jsonl", {part, 2, "application/x-ndjson"});
    const auto summary = run_async(f.context, [&]() -> boost::asio::awaitable<s3::upload_summary> {
      co_await write_in_chunks(stream, size, 4096);
      co_return co_await stream.complete();
    }());
    CHECK_FALSE(summary.multipart);
    CHECK(summary.bytes == size);
    CHECK(f.s3_double.log == std::vector<std::string>{"PUT object " + std::to_string(size)});
  }
}

TEST_CASE("a larger upload ships parts in order and completes with their ETags", "[multipart]") {
  fixture f;
  s3::multipart_upload_stream stream(f.s3, "bucket", "big.bin", {part, 2, ""});
  const std::size_t total = 3 * part + 123;
  const auto summary = run_async(f.context, [&]() -> boost::asio::awaitable<s3::upload_summary> {
    co_await write_in_chunks(stream, total, 100'000);
    co_return co_await stream.complete();
  }());
  CHECK(summary.multipart);
  CHECK(summary.parts == 4);
  CHECK(summary.bytes == total);
  const std::vector<std::string> expected{"POST uploads",
                                          "PUT part 1 " + std::to_string(part),
                                          "PUT part 2 " + std::to_string(part),
                                          "PUT part 3 " + std::to_string(part),
                                          "PUT part 4 123",
                                          "POST complete"};
  CHECK(f.s3_double.log == expected);
  CHECK_THAT(f.s3_double.completed_body,
             Catch::Contains("<Part><PartNumber>1</PartNumber><ETag>&quot;etag-1&quot;</ETag></Part>"
                             "<Part><PartNumber>2</PartNumber>"));
  CHECK_THAT(f.s3_double.completed_body, Catch::Contains("<PartNumber>4</PartNumber><ETag>&quot;etag-4&quot;</ETag>"));
}

TEST_CASE("each part carries exactly its own bytes, from buffers reused across parts", "[multipart]") {
  fixture f;
  s3::multipart_upload_stream stream(f.s3, "bucket", "big.bin", {part, 2, ""});
  const int parts = 7;
  run_async(f.context, [&]() -> boost::asio::awaitable<void> {
    for (int number = 1; number <= parts; ++number) {
      // The last part is short: a reused buffer must not keep older bytes.
      const std::string bytes(number == parts ? 1000 : part, static_cast<char>('a' + number));
      co_await stream.write(bytes);
    }
    co_await stream.complete();
  }());
  REQUIRE(f.s3_double.part_bodies.size() == parts);
  for (const auto& [number, body] : f.s3_double.part_bodies) {
    INFO("part " << number);
    CHECK(body.size() == (number == parts ? 1000 : part));
    CHECK(body.find_first_not_of(static_cast<char>('a' + number)) == std::string::npos);
  }
}

TEST_CASE("a failed part aborts the upload and surfaces the error", "[multipart]") {
  fixture f;
  f.s3_double.fail_part = 2;
  s3::multipart_upload_stream stream(f.s3, "bucket", "big.bin", {part, 1, ""});
  CHECK_THROWS_AS(run_async(f.context, [&]() -> boost::asio::awaitable<void> {
                    co_await write_in_chunks(stream, 4 * part, 1'000'000);
                    co_await stream.complete();
                  }()),
                  s3::s3_error);
  REQUIRE_FALSE(f.s3_double.log.empty());
  CHECK(f.s3_double.log.back() == "DELETE upload");
  CHECK(std::count(f.s3_double.log.begin(), f.s3_double.log.end(), "POST complete") == 0);
  CHECK_THROWS_AS(run_async(f.context, stream.write("more")), std::logic_error);
}

TEST_CASE("an abort that keeps failing is retried until abort_timeout, then the upload left behind is named",
          "[multipart]") {
  fixture f;
  f.s3_double.fail_part = 2;
  f.s3_double.aborts_fail = true;
  s3::multipart_upload_stream stream(f.s3, "bucket", "big.bin",
                                     {.part_size = part, .max_parts_in_flight = 1, .abort_timeout = std::chrono::milliseconds(600)});
  const auto started = std::chrono::steady_clock::now();
  try {
    run_async(f.context, [&]() -> boost::asio::awaitable<void> {
      co_await write_in_chunks(stream, 4 * part, 1'000'000);
      co_await stream.complete();
    }());
    FAIL("the upload should have failed");
  } catch (const s3::upload_left_behind& left) {
    CHECK(left.bucket() == "bucket");
    CHECK(left.key() == "big.bin");
    CHECK(left.upload_id() == "UP1");
    CHECK(left.code() == "InternalError");  // the failure that ended the upload
    CHECK_THAT(left.what(), Catch::Contains("InternalError") && Catch::Contains("SlowDown") &&
                                Catch::Contains("upload id UP1") && Catch::Contains("big.bin"));
  }
  CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(600));
  CHECK(std::count(f.s3_double.log.begin(), f.s3_double.log.end(), "DELETE upload") >= 2);
}

TEST_CASE("a stream dropped before complete aborts in the background", "[multipart]") {
  fixture f;
  {
    s3::multipart_upload_stream stream(f.s3, "bucket", "big.bin", {part, 2, ""});
    run_async(f.context, write_in_chunks(stream, 2 * part + 10, 1'000'000));
    CHECK(stream.upload_id() == "UP1");
  }
  f.context.restart();
  f.context.run_for(std::chrono::seconds(10));
  REQUIRE_FALSE(f.s3_double.log.empty());
  CHECK(f.s3_double.log.back() == "DELETE upload");
}

TEST_CASE("abort() aborts a started upload once", "[multipart]") {
  fixture f;
  s3::multipart_upload_stream stream(f.s3, "bucket", "big.bin", {part, 2, ""});
  run_async(f.context, [&]() -> boost::asio::awaitable<void> {
    co_await write_in_chunks(stream, part + 10, 1'000'000);
    co_await stream.abort();
    co_await stream.abort();
  }());
  CHECK(std::count(f.s3_double.log.begin(), f.s3_double.log.end(), "DELETE upload") == 1);
}

TEST_CASE("multipart options are validated", "[multipart]") {
  fixture f;
  CHECK_THROWS_WITH(s3::multipart_upload_stream(f.s3, "bucket", "k", {part - 1, 2, ""}),
                    Catch::StartsWith("part_size:"));
  CHECK_THROWS_WITH(s3::multipart_upload_stream(f.s3, "bucket", "k", {part, 0, ""}),
                    Catch::StartsWith("max_parts_in_flight:"));
  CHECK_THROWS_WITH(s3::multipart_upload_stream(f.s3, "bucket", "", {part, 1, ""}), Catch::StartsWith("key:"));
}

TEST_CASE("a final request that may have been applied is followed by deleting the object", "[multipart]") {
  struct failure_case {
    final_answer final;
    std::size_t size;
    std::vector<std::string> tail;  // the end of the log
  };
  const auto c = GENERATE(
      failure_case{final_answer::lost, 1000, {"PUT object 1000", "DELETE object"}},
      failure_case{final_answer::server_error, 1000, {"PUT object 1000", "DELETE object"}},
      failure_case{final_answer::lost, 2 * part + 1, {"POST complete", "DELETE upload", "DELETE object"}},
      failure_case{final_answer::server_error, 2 * part + 1, {"POST complete", "DELETE upload", "DELETE object"}},
      // A clear refusal was not applied: the key stays as it was.
      failure_case{final_answer::refused, 1000, {"PUT object 1000"}},
      failure_case{final_answer::refused, 2 * part + 1, {"POST complete", "DELETE upload"}});
  CAPTURE(static_cast<int>(c.final), c.size);
  fixture f;
  f.s3_double.final = c.final;
  s3::multipart_upload_stream stream(f.s3, "bucket", "manifest.jsonl", {.part_size = part, .max_parts_in_flight = 2});
  CHECK_THROWS_AS(run_async(f.context, [&]() -> boost::asio::awaitable<void> {
                    co_await write_in_chunks(stream, c.size, 1'000'000);
                    co_await stream.complete();
                  }()),
                  s3co::error);
  REQUIRE(f.s3_double.log.size() >= c.tail.size());
  CHECK(std::vector<std::string>(f.s3_double.log.end() - static_cast<std::ptrdiff_t>(c.tail.size()),
                                 f.s3_double.log.end()) == c.tail);
  CHECK_THROWS_AS(run_async(f.context, stream.complete()), std::logic_error);
}

namespace {

// Holds the final request (PutObject) for a while, as a slow server would.
struct slow_final_sender {
  boost::asio::awaitable<http::response> send(http::request request) {
    const bool final = request.method == aws::http_method::put;
    if (final) {
      boost::asio::steady_timer wait(co_await boost::asio::this_coro::executor, std::chrono::milliseconds(300));
      co_await wait.async_wait(boost::asio::use_awaitable);  // a cancellation would cut this short
    }
    co_return co_await inner.send(std::move(request));
  }
  fake_sender& inner;
};

}  // namespace

TEST_CASE("a cancellation cannot cut the final request off, and the object is deleted after it", "[multipart]") {
  fixture f;
  slow_final_sender slow{f.sender};
  s3::client<slow_final_sender> s3(slow, {"AKID", "secret", ""}, "us-east-1", aws::parse_endpoint_url("http://127.0.0.1:7480"));
  s3::multipart_upload_stream stream(s3, "bucket", "manifest.jsonl", {.part_size = part, .max_parts_in_flight = 2});
  run_async(f.context, write_in_chunks(stream, 1000, 1000));

  boost::asio::cancellation_signal cancel;
  std::exception_ptr outcome;
  bool done = false;
  boost::asio::co_spawn(f.context, stream.complete(),
                        boost::asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e, s3::upload_summary) {
                          outcome = e;
                          done = true;
                        }));
  boost::asio::steady_timer soon(f.context, std::chrono::milliseconds(20));
  soon.async_wait([&](boost::system::error_code) { cancel.emit(boost::asio::cancellation_type::terminal); });
  f.context.restart();
  f.context.run_for(std::chrono::seconds(30));
  REQUIRE(done);
  // The PutObject was sent in full and answered, then the object deleted.
  CHECK(f.s3_double.log == std::vector<std::string>{"PUT object 1000", "DELETE object"});
  REQUIRE(outcome);
  try {
    std::rethrow_exception(outcome);
  } catch (const boost::system::system_error& e) {
    CHECK(e.code() == boost::asio::error::operation_aborted);
  }
}
