// A scriptable HTTP/1.1 server for the client tests.
//
// It listens on 127.0.0.1 on an ephemeral port, plain or TLS, and runs on its
// own thread with its own io_context. Every request is read whole, recorded
// and handed to the test's script, whose reply says what to do: answer
// (optionally chunked, optionally closing the connection afterwards without
// saying so), reset the connection in the middle of the body, stall, or close
// without an answer. The server counts the requests and connections it saw.
//
// Lifetime: the server owns its thread, io_context and connections; the
// destructor stops them all, stalled ones included. The script runs on the
// server thread, so it may only touch what is safe to share: the request it
// is given (with its 1-based `number` in arrival order) and the test's
// atomics. Assertions belong on the test's thread, after the fact.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "background_thread.hpp"
#include "s3co/http/message.hpp"

namespace s3co::testing {

struct test_http_request {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::size_t number = 0;      // 1-based, in arrival order over the server's life
  std::size_t connection = 0;  // 1-based number of the connection it came on

  // The first header with this name (case-insensitive), or empty.
  std::string header(std::string_view name) const;
};

enum class test_http_fault {
  none,                  // answer normally
  reset_mid_body,        // head with a longer Content-Length, part of the body, then RST
  stall,                 // never answer; hold the connection open
  close_without_answer,  // close the connection at once
};

struct test_http_reply {
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool chunked = false;      // Transfer-Encoding: chunked instead of Content-Length
  bool close_after = false;  // close the connection after answering, without `Connection: close`
  std::size_t declared_length = 0;  // with reset_mid_body, or with `head_only`
  bool head_only = false;    // say Content-Length: declared_length but send no body (HEAD)
  test_http_fault fault = test_http_fault::none;
};

test_http_reply reply_ok(std::string body = {});
// An S3-style error: `<Error><Code>code</Code>...</Error>`.
test_http_reply reply_s3_error(unsigned status, std::string_view code);
test_http_reply reply_reset_mid_body(std::size_t declared = 1000, std::size_t sent = 100);
test_http_reply reply_stall();

class test_http_server {
 public:
  using script = std::function<test_http_reply(const test_http_request&)>;

  // `tls`, when given, must outlive the server; connections then handshake first.
  explicit test_http_server(script answer, boost::asio::ssl::context* tls = nullptr);
  ~test_http_server();

  test_http_server(const test_http_server&) = delete;
  test_http_server& operator=(const test_http_server&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::size_t requests() const noexcept { return requests_.load(); }
  std::size_t connections() const noexcept { return connections_.load(); }
  std::vector<test_http_request> received() const;

  // A request to this server: http or https, `host` (which must resolve to
  // 127.0.0.1) with this server's port, and `target`.
  http::request request_to(std::string target, http::http_method method = http::http_method::get,
                           std::string host = "127.0.0.1") const;

 private:
  using tcp = boost::asio::ip::tcp;

  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> handle(tcp::socket socket, std::size_t connection);
  template <typename Stream>
  boost::asio::awaitable<void> serve(Stream& stream, std::size_t connection);

  boost::asio::io_context context_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  script script_;
  boost::asio::ssl::context* tls_;
  std::atomic<std::size_t> requests_{0};
  std::atomic<std::size_t> connections_{0};
  mutable std::mutex mutex_;
  std::vector<test_http_request> received_;
  std::thread thread_;
};

// ---------------------------------------------------------------------------

namespace detail {

// A connection's end, orderly or not, is no concern of the server's.
inline void ignore_outcome(std::exception_ptr) {}

inline bool same_header_name(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

inline std::string serialize_head(const test_http_reply& reply, std::size_t content_length) {
  namespace beast_http = boost::beast::http;
  std::string text = "HTTP/1.1 ";
  text.append(std::to_string(reply.status)).append(" ");
  text.append(beast_http::obsolete_reason(static_cast<beast_http::status>(reply.status))).append("\r\n");
  if (reply.chunked) {
    text.append("Transfer-Encoding: chunked\r\n");
  } else {
    text.append("Content-Length: ").append(std::to_string(content_length)).append("\r\n");
  }
  for (const auto& [name, value] : reply.headers) text.append(name).append(": ").append(value).append("\r\n");
  text.append("\r\n");
  return text;
}

inline std::string serialize_chunked(std::string_view body) {
  constexpr std::size_t chunk = 1000;
  std::string text;
  char size[32];
  for (std::size_t at = 0; at < body.size(); at += chunk) {
    const auto piece = body.substr(at, chunk);
    std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
    text.append(size).append(piece).append("\r\n");
  }
  text.append("0\r\n\r\n");
  return text;
}

}  // namespace detail

inline std::string test_http_request::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (detail::same_header_name(key, name)) return value;
  }
  return {};
}

inline test_http_reply reply_ok(std::string body) {
  test_http_reply reply;
  reply.body = std::move(body);
  return reply;
}

inline test_http_reply reply_s3_error(unsigned status, std::string_view code) {
  test_http_reply reply;
  reply.status = status;
  reply.headers.push_back({"Content-Type", "application/xml"});
  reply.body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>";
  reply.body.append(code).append("</Code><Message>scripted by the test</Message><RequestId>test</RequestId></Error>");
  return reply;
}

inline test_http_reply reply_reset_mid_body(std::size_t declared, std::size_t sent) {
  test_http_reply reply;
  reply.fault = test_http_fault::reset_mid_body;
  reply.declared_length = declared;
  reply.body.assign(sent, 'x');
  return reply;
}

inline test_http_reply reply_stall() {
  test_http_reply reply;
  reply.fault = test_http_fault::stall;
  return reply;
}

inline test_http_server::test_http_server(script answer, boost::asio::ssl::context* tls)
    : acceptor_(context_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)),
      port_(acceptor_.local_endpoint().port()),
      script_(std::move(answer)),
      tls_(tls) {
  boost::asio::co_spawn(context_, accept_loop(), detail::ignore_outcome);
  thread_ = run_in_background(context_);
}

inline test_http_server::~test_http_server() {
  context_.stop();
  thread_.join();
}

inline std::vector<test_http_request> test_http_server::received() const {
  std::lock_guard lock(mutex_);
  return received_;
}

inline http::request test_http_server::request_to(std::string target, http::http_method method,
                                                  std::string host) const {
  http::request req;
  req.method = method;
  req.scheme = tls_ ? "https" : "http";
  req.port = port_;
  req.authority = host;
  req.authority.append(":").append(std::to_string(port_));
  req.host = std::move(host);
  req.target = std::move(target);
  return req;
}

inline boost::asio::awaitable<void> test_http_server::accept_loop() {
  for (;;) {
    tcp::socket socket = co_await acceptor_.async_accept(boost::asio::use_awaitable);
    const std::size_t connection = ++connections_;
    boost::asio::co_spawn(context_, handle(std::move(socket), connection), detail::ignore_outcome);
  }
}

inline boost::asio::awaitable<void> test_http_server::handle(tcp::socket socket, std::size_t connection) {
  if (tls_) {
    boost::beast::ssl_stream<boost::beast::tcp_stream> stream(std::move(socket), *tls_);
    boost::beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(20));
    co_await stream.async_handshake(boost::asio::ssl::stream_base::server, boost::asio::use_awaitable);
    boost::beast::get_lowest_layer(stream).expires_never();
    co_await serve(stream, connection);
  } else {
    boost::beast::tcp_stream stream(std::move(socket));
    co_await serve(stream, connection);
  }
}

template <typename Stream>
boost::asio::awaitable<void> test_http_server::serve(Stream& stream, std::size_t connection) {
  namespace beast_http = boost::beast::http;
  using boost::asio::use_awaitable;
  boost::beast::flat_buffer buffer;
  for (;;) {
    beast_http::request_parser<beast_http::string_body> parser;
    parser.body_limit(256 * 1024 * 1024);
    co_await beast_http::async_read(stream, buffer, parser, use_awaitable);  // throws at the client's close

    test_http_request seen;
    const auto& message = parser.get();
    seen.method = std::string(message.method_string());
    seen.target = std::string(message.target());
    for (const auto& field : message) seen.headers.emplace_back(field.name_string(), field.value());
    seen.body = message.body();
    seen.number = ++requests_;
    seen.connection = connection;
    {
      std::lock_guard lock(mutex_);
      received_.push_back(seen);
    }
    const test_http_reply reply = script_(seen);
    auto& socket = boost::beast::get_lowest_layer(stream).socket();

    switch (reply.fault) {
      case test_http_fault::stall: {
        boost::asio::steady_timer forever(co_await boost::asio::this_coro::executor);
        forever.expires_after(std::chrono::minutes(10));
        co_await forever.async_wait(use_awaitable);
        co_return;
      }
      case test_http_fault::close_without_answer:
        co_return;  // the stream closes as it goes out of scope
      case test_http_fault::reset_mid_body: {
        test_http_reply head = reply;
        head.chunked = false;
        std::string text = detail::serialize_head(head, reply.declared_length);
        text.append(reply.body);
        co_await boost::asio::async_write(stream, boost::asio::buffer(text), use_awaitable);
        boost::system::error_code ignored;
        socket.set_option(boost::asio::socket_base::linger(true, 0), ignored);
        socket.close(ignored);  // RST, not FIN
        co_return;
      }
      case test_http_fault::none:
        break;
    }
    std::string text = detail::serialize_head(reply, reply.head_only ? reply.declared_length : reply.body.size());
    if (!reply.head_only) text.append(reply.chunked ? detail::serialize_chunked(reply.body) : reply.body);
    co_await boost::asio::async_write(stream, boost::asio::buffer(text), use_awaitable);
    if (reply.close_after) {
      boost::system::error_code ignored;
      socket.shutdown(tcp::socket::shutdown_both, ignored);
      socket.close(ignored);
      co_return;
    }
  }
}

}  // namespace s3co::testing
