// Tests for the connection side of include/s3co/http/client.hpp against the
// scripted local server: keep-alive and stale connections, resets, stalls and
// timeouts, response body limits, downloads into files, HEAD, and errors that
// keep secrets out of their messages.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "s3co/http/client.hpp"
#include "support/temp_file.hpp"
#include "support/test_http_options.hpp"
#include "support/test_http_run.hpp"
#include "support/test_http_server.hpp"

namespace http = s3co::http;
using namespace std::chrono_literals;
using s3co::testing::expect_transport_error;
using s3co::testing::quick_client_options;
using s3co::testing::reply_ok;
using s3co::testing::reply_s3_error;
using s3co::testing::run_until_done;
using s3co::testing::test_http_reply;
using s3co::testing::test_http_request;
using s3co::testing::test_http_server;

namespace {

std::string pattern(std::size_t size) {
  std::string text(size, '\0');
  for (std::size_t i = 0; i < size; ++i) text[i] = static_cast<char>('A' + (i * 13 + i / 97) % 26);
  return text;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A file path that does not exist yet and is removed when the test ends.
class scratch_path {
 public:
  scratch_path() : file_(""), path_(file_.path() + ".download") {}
  ~scratch_path() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  s3co::testing::temp_file file_;
  std::string path_;
};

// A port on 127.0.0.1 where nothing listens.
std::uint16_t closed_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

}  // namespace

TEST_CASE("ten sequential requests share one keep-alive connection", "[http][connection]") {
  test_http_server server([](const test_http_request& seen) { return reply_ok("answer " + seen.target); });
  boost::asio::io_context io;
  http::client client(io.get_executor(), quick_client_options());

  for (int i = 0; i < 10; ++i) {
    const std::string target = "/bucket/key" + std::to_string(i);
    const http::response answer = run_until_done(io, client.send(server.request_to(target)));
    REQUIRE(answer.status == 200);
    CHECK(answer.body == "answer " + target);
    CHECK(answer.attempts == 1);
  }
  CHECK(client.connections_opened() == 1);
  CHECK(server.connections() == 1);
  CHECK(server.requests() == 10);
}

TEST_CASE("concurrent requests each get a connection and then share the pool", "[http][connection]") {
  test_http_server server([](const test_http_request& seen) { return reply_ok(seen.target); });
  boost::asio::io_context io;
  http::client client(io.get_executor(), quick_client_options());

  constexpr int parallel = 4;
  std::vector<std::optional<http::response>> answers(parallel);
  int finished = 0;
  std::exception_ptr failure;
  for (int i = 0; i < parallel; ++i) {
    boost::asio::co_spawn(io, client.send(server.request_to("/k" + std::to_string(i))),
                          [&, i](std::exception_ptr error, http::response answer) {
                            if (error) failure = error;
                            answers[i] = std::move(answer);
                            ++finished;
                          });
  }
  const auto give_up = std::chrono::steady_clock::now() + s3co::testing::test_http_deadline;
  while (finished < parallel && std::chrono::steady_clock::now() < give_up) {
    io.restart();
    io.run_for(50ms);
  }
  REQUIRE(finished == parallel);
  REQUIRE_FALSE(failure);
  for (int i = 0; i < parallel; ++i) CHECK(answers[i]->body == "/k" + std::to_string(i));
  CHECK(client.connections_opened() == parallel);

  // All four went back to the pool: more requests open nothing new.
  for (int i = 0; i < 8; ++i) run_until_done(io, client.send(server.request_to("/again")));
  CHECK(client.connections_opened() == parallel);
  CHECK(server.connections() == parallel);
}

TEST_CASE("one client serves concurrent requests from two threads", "[http][connection]") {
  test_http_server server([](const test_http_request& seen) { return reply_ok("for " + seen.target); });
  boost::asio::io_context io;
  http::client client(io.get_executor(), quick_client_options());

  constexpr int total = 24;
  std::atomic<int> finished{0};
  std::atomic<int> correct{0};
  for (int i = 0; i < total; ++i) {
    const std::string target = "/k" + std::to_string(i);
    boost::asio::co_spawn(io, client.send(server.request_to(target)),
                          [&finished, &correct, target](std::exception_ptr error, http::response answer) {
                            if (!error && answer.status == 200 && answer.body == "for " + target) ++correct;
                            ++finished;
                          });
  }
  // Both threads return when the work is done (idle pooled connections are
  // no work), or at the deadline.
  std::thread helper([&io] { io.run_for(s3co::testing::test_http_deadline); });
  io.run_for(s3co::testing::test_http_deadline);
  helper.join();
  REQUIRE(finished == total);
  CHECK(correct == total);
  CHECK(server.requests() == total);
  CHECK(client.connections_opened() <= total);
}

TEST_CASE("max_idle_connections_per_host 0 keeps no connection", "[http][connection]") {
  test_http_server server([](const test_http_request&) { return reply_ok("x"); });
  http::client_options options = quick_client_options();
  options.max_idle_connections_per_host = 0;
  boost::asio::io_context io;
  http::client client(io.get_executor(), options);

  for (int i = 0; i < 3; ++i) CHECK(run_until_done(io, client.send(server.request_to("/k"))).status == 200);
  CHECK(client.connections_opened() == 3);
  CHECK(server.connections() == 3);
}

TEST_CASE("a connection the server closed while idle is replaced transparently", "[http][connection]") {
  test_http_server server([](const test_http_request&) {
    test_http_reply reply = reply_ok("once");
    reply.close_after = true;  // closes without saying `Connection: close`
    return reply;
  });
  boost::asio::io_context io;
  http::client client(io.get_executor(), quick_client_options());

  for (int i = 0; i < 5; ++i) {
    const http::response answer = run_until_done(io, client.send(server.request_to("/bucket/key")));
    REQUIRE(answer.status == 200);
    CHECK(answer.body == "once");
    CHECK(answer.attempts == 1);  // a stale pooled connection does not count as an attempt
  }
  CHECK(server.requests() == 5);
  CHECK(server.connections() == 5);
  CHECK(client.connections_opened() == 5);
  CHECK(client.retry_tokens() == 500);
}

TEST_CASE("Connection close in the answer keeps the connection out of the pool", "[http][connection]") {
  test_http_server server([](const test_http_request&) {
    test_http_reply reply = reply_ok("bye");
    reply.headers.push_back({"Connection", "close"});
    reply.close_after = true;
    return reply;
  });
  boost::asio::io_context io;
  http::client client(io.get_executor(), quick_client_options());

  for (int i = 0; i < 3; ++i) CHECK(run_until_done(io, client.send(server.request_to("/k"))).body == "bye");
  CHECK(client.connections_opened() == 3);
  CHECK(server.requests() == 3);
}

TEST_CASE("a connection reset in the middle of the body is retried", "[http][connection]") {
  test_http_server server([](const test_http_request& seen) {
    return seen.number == 1 ? s3co::testing::reply_reset_mid_body(1000, 100) : reply_ok(pattern(1000));
  });
  boost::asio::io_context io;
  http::client client(io.get_executor(), quick_client_options());

  const http::response answer = run_until_done(io, client.send(server.request_to("/bucket/key")));
  CHECK(answer.status == 200);
  CHECK(answer.body == pattern(1000));
  CHECK(answer.attempts == 2);
  CHECK(server.requests() == 2);
  CHECK(server.connections() == 2);
  CHECK(client.retry_tokens() == 500 - 5 + 1);
}

TEST_CASE("a connection reset on every attempt fails after three attempts", "[http][connection]") {
  test_http_server server([](const test_http_request&) { return s3co::testing::reply_reset_mid_body(1000, 100); });
  boost::asio::io_context io;
  http::client client(io.get_executor(), quick_client_options());

  const http::transport_error error = expect_transport_error(io, client.send(server.request_to("/bucket/key")));
  CHECK(error.attempts() == 3);
  CHECK(server.requests() == 3);
  CHECK(std::string(error.what()).find("GET http://127.0.0.1:") == 0);
}

TEST_CASE("an answer broken off on a pooled connection counts as an attempt", "[http][connection]") {
  // The first request leaves a kept-alive connection in the pool; every later
  // answer starts, then the connection is reset. The server handled those
  // requests, so the client must not replay them as if the pooled connection
  // had merely gone stale.
  test_http_server server([](const test_http_request& seen) {
    return seen.number == 1 ? reply_ok("warm") : s3co::testing::reply_reset_mid_body(1000, 100);
  });
  boost::asio::io_context io;
  http::client client(io.get_executor(), quick_client_options());
  CHECK(run_until_done(io, client.send(server.request_to("/warm"))).status == 200);

  const http::transport_error error = expect_transport_error(io, client.send(server.request_to("/bucket/key")));
  CHECK(error.attempts() == 3);
  CHECK(server.requests() == 1 + 3);
}

TEST_CASE("a connection closed without an answer is retried", "[http][connection]") {
  test_http_server server([](const test_http_request& seen) {
    if (seen.number == 1) {
      test_http_reply reply;
      reply.fault = s3co::testing::test_http_fault::close_without_answer;
      return reply;
    }
    return reply_ok("second time");
  });
  boost::asio::io_context io;
  http::client client(io.get_executor(), quick_client_options());

  const http::response answer = run_until_done(io, client.send(server.request_to("/bucket/key")));
  CHECK(answer.body == "second time");
  CHECK(answer.attempts == 2);
  CHECK(server.requests() == 2);
}

TEST_CASE("a stalled server times out and the request is retried", "[http][connection][timeout]") {
  test_http_server server([](const test_http_request& seen) {
    return seen.number == 1 ? s3co::testing::reply_stall() : reply_ok("awake");
  });
  http::client_options options = quick_client_options();
  options.request_timeout = 300ms;
  boost::asio::io_context io;
  http::client client(io.get_executor(), options);

  const http::response answer = run_until_done(io, client.send(server.request_to("/bucket/key")));
  CHECK(answer.body == "awake");
  CHECK(answer.attempts == 2);
  CHECK(server.requests() == 2);
  CHECK(client.retry_tokens() == 500 - 10 + 1);
}

TEST_CASE("a server that always stalls fails with a transport error after three attempts",
          "[http][connection][timeout]") {
  test_http_server server([](const test_http_request&) { return s3co::testing::reply_stall(); });
  http::client_options options = quick_client_options();
  options.request_timeout = 300ms;
  boost::asio::io_context io;
  http::client client(io.get_executor(), options);

  const http::transport_error error = expect_transport_error(io, client.send(server.request_to("/bucket/key")));
  CHECK(error.attempts() == 3);
  CHECK(server.requests() == 3);
  CHECK(server.connections() == 3);
  CHECK(client.retry_tokens() == 500 - 10 - 10);
}

TEST_CASE("a refused connection is retried then reported", "[http][connection]") {
  boost::asio::io_context io;
  http::client client(io.get_executor(), quick_client_options());
  http::request req;
  req.scheme = "http";
  req.host = "127.0.0.1";
  req.port = closed_port();
  req.authority = "127.0.0.1:" + std::to_string(req.port);
  req.target = "/bucket/key";

  const http::transport_error error = expect_transport_error(io, client.send(std::move(req)));
  CHECK(error.attempts() == 3);
  CHECK(error.system_code() == std::errc::connection_refused);
  CHECK(client.connections_opened() == 0);
}

TEST_CASE("a body over max_response_body is an error and is not retried", "[http][connection][limit]") {
  const bool chunked = GENERATE(false, true);
  CAPTURE(chunked);
  test_http_server server([chunked](const test_http_request&) {
    test_http_reply reply = reply_ok(pattern(5000));
    reply.chunked = chunked;
    return reply;
  });
  http::client_options options = quick_client_options();
  options.max_response_body = 4096;
  boost::asio::io_context io;
  http::client client(io.get_executor(), options);

  const http::transport_error error = expect_transport_error(io, client.send(server.request_to("/bucket/big")));
  CHECK(error.attempts() == 1);
  CHECK(server.requests() == 1);
  CHECK(client.retry_tokens() == 500);
}

TEST_CASE("a body at max_response_body is accepted", "[http][connection][limit]") {
  const bool chunked = GENERATE(false, true);
  CAPTURE(chunked);
  test_http_server server([chunked](const test_http_request&) {
    test_http_reply reply = reply_ok(pattern(4096));
    reply.chunked = chunked;
    return reply;
  });
  http::client_options options = quick_client_options();
  options.max_response_body = 4096;
  boost::asio::io_context io;
  http::client client(io.get_executor(), options);

  const http::response answer = run_until_done(io, client.send(server.request_to("/bucket/fits")));
  CHECK(answer.status == 200);
  CHECK(answer.body == pattern(4096));
}

TEST_CASE("a GET into a file writes the bytes there and not in memory", "[http][connection][file]") {
  const bool chunked = GENERATE(false, true);
  CAPTURE(chunked);
  const std::string contents = pattern(300 * 1024 + 11);
  test_http_server server([&contents, chunked](const test_http_request&) {
    test_http_reply reply = reply_ok(contents);
    reply.chunked = chunked;
    return reply;
  });
  http::client_options options = quick_client_options();
  options.max_response_body = 1024;  // limits in-memory bodies only
  boost::asio::io_context io;
  http::client client(io.get_executor(), options);

  const scratch_path download;
  http::request req = server.request_to("/bucket/big.pdf");
  req.response_file = download.path();
  const http::response answer = run_until_done(io, client.send(std::move(req)));
  CHECK(answer.status == 200);
  CHECK(answer.body.empty());
  CHECK(answer.attempts == 1);
  CHECK(read_file(download.path()) == contents);
}

TEST_CASE("an empty GET into a file leaves an empty file", "[http][connection][file]") {
  test_http_server server([](const test_http_request&) { return reply_ok(""); });
  boost::asio::io_context io;
  http::client client(io.get_executor(), quick_client_options());

  const scratch_path download;
  std::ofstream(download.path()) << "stale bytes from an earlier download";
  http::request req = server.request_to("/bucket/empty.pdf");
  req.response_file = download.path();
  const http::response answer = run_until_done(io, client.send(std::move(req)));
  CHECK(answer.status == 200);
  REQUIRE(std::filesystem::exists(download.path()));
  CHECK(std::filesystem::file_size(download.path()) == 0);
}

TEST_CASE("a GET into a file that is reset midway rewrites the file from the start", "[http][connection][file]") {
  const std::string contents = pattern(5000);
  test_http_server server([&contents](const test_http_request& seen) {
    return seen.number == 1 ? s3co::testing::reply_reset_mid_body(5000, 3000) : reply_ok(contents);
  });
  boost::asio::io_context io;
  http::client client(io.get_executor(), quick_client_options());

  const scratch_path download;
  http::request req = server.request_to("/bucket/key");
  req.response_file = download.path();
  const http::response answer = run_until_done(io, client.send(std::move(req)));
  CHECK(answer.attempts == 2);
  CHECK(read_file(download.path()) == contents);
}

TEST_CASE("a GET into a file keeps an error body in memory and out of the file", "[http][connection][file]") {
  test_http_server server([](const test_http_request&) { return reply_s3_error(404, "NoSuchKey"); });
  boost::asio::io_context io;
  http::client client(io.get_executor(), quick_client_options());

  const scratch_path download;
  http::request req = server.request_to("/bucket/missing");
  req.response_file = download.path();
  const http::response answer = run_until_done(io, client.send(std::move(req)));
  CHECK(answer.status == 404);
  CHECK(answer.attempts == 1);
  CHECK(answer.body.find("<Code>NoSuchKey</Code>") != std::string::npos);
  if (std::filesystem::exists(download.path())) {
    CHECK(read_file(download.path()).find("NoSuchKey") == std::string::npos);
  }
}

TEST_CASE("a HEAD answer with a Content-Length has no body to wait for", "[http][connection]") {
  test_http_server server([](const test_http_request& seen) {
    if (seen.method != "HEAD") return reply_ok("after head");
    test_http_reply reply;
    reply.head_only = true;
    reply.declared_length = 5000;
    reply.headers.push_back({"ETag", "\"abc\""});
    return reply;
  });
  boost::asio::io_context io;
  http::client client(io.get_executor(), quick_client_options());

  const http::response head =
      run_until_done(io, client.send(server.request_to("/bucket/key", http::http_method::head)));
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(head.header("etag") == "\"abc\"");
  CHECK(head.header("content-length") == "5000");
  const http::response next = run_until_done(io, client.send(server.request_to("/bucket/key")));
  CHECK(next.body == "after head");
  CHECK(client.connections_opened() == 1);
}

TEST_CASE("a transport error names the request without its query or headers", "[http][connection][secrets]") {
  const bool refused = GENERATE(false, true);
  CAPTURE(refused);
  test_http_server server([](const test_http_request&) { return s3co::testing::reply_reset_mid_body(); });
  boost::asio::io_context io;
  http::client client(io.get_executor(), quick_client_options());

  http::request req = server.request_to(
      "/bucket/dir/key.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20240101"
      "&X-Amz-Security-Token=SECRETTOKEN&X-Amz-Signature=SECRETSIG");
  if (refused) {
    req.port = closed_port();
    req.authority = "127.0.0.1:" + std::to_string(req.port);
  }
  req.headers.push_back({"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE, Signature=SECRETAUTH"});
  req.headers.push_back({"x-amz-security-token", "SECRETTOKEN"});
  req.authorize = [](http::request& r, s3co::aws::utc_time_point) {
    r.headers.push_back({"X-Amz-Signature-Check", "SECRETSIG SECRETAUTH"});
  };

  const http::transport_error error = expect_transport_error(io, client.send(std::move(req)));
  const std::string what = error.what();
  INFO(what);
  CHECK(what.find("/bucket/dir/key.pdf") != std::string::npos);
  CHECK(what.find("SECRETSIG") == std::string::npos);
  CHECK(what.find("SECRETAUTH") == std::string::npos);
  CHECK(what.find("SECRETTOKEN") == std::string::npos);
  CHECK(what.find("AKIDEXAMPLE") == std::string::npos);
  CHECK(what.find('?') == std::string::npos);
}
