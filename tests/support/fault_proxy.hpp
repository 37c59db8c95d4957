// A fault-injecting HTTP/1.1 proxy in front of the test radosgw.
//
// It listens on 127.0.0.1 on an ephemeral port and runs on its own thread
// with its own io_context. Point an s3::client at endpoint_url(): the client
// then signs for the proxy's host:port, and the proxy forwards each request
// with its header fields untouched (Host included), so the SigV4 signature
// radosgw checks is the one the client made. Each client connection gets its
// own upstream keep-alive connection.
//
// Every request is classified (ListObjectsV2, PutObject, UploadPart, ...),
// numbered (overall and within its kind) and handed to the test's fault
// script, whose answer says what happens to it:
//
//   none              forward, and send back the answer unchanged
//   slow_down         answer 503 SlowDown (S3 error XML) without forwarding
//   internal_error    answer 500 InternalError without forwarding
//   reset_mid_body    forward, then send the answer's head announcing the
//                     full body (and then some) and half of the body, and
//                     reset the connection (RST)
//   truncate_body     forward, then send a complete HTTP message whose body
//                     is the first half of the real one (Content-Length
//                     agrees: the XML is cut) and close the connection
//   stall             never forward, never answer: the client must time out
//   drop_connection   never forward; close the connection at once, as a
//                     server that has gone down
//   strip_date        forward, and send back the answer without its Date
//                     header, as a server that never says its time
//   delay             forward after 100 ms (a slow server)
//
// Counters are per kind and count every request the proxy received, faulty
// or not. The script runs on the proxy thread: it may only use what is safe
// to share (its argument, atomics). Lifetime: the destructor stops the
// thread and drops every connection, stalled ones included.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "background_thread.hpp"

namespace s3co::testing {

enum class proxy_request_kind : std::size_t {
  list_objects,            // GET /bucket?list-type=2
  put_object,              // PUT /bucket/key
  upload_part,             // PUT /bucket/key?partNumber=&uploadId=
  create_multipart,        // POST /bucket/key?uploads
  complete_multipart,      // POST /bucket/key?uploadId=
  abort_multipart,         // DELETE /bucket/key?uploadId=
  list_multipart_uploads,  // GET /bucket?uploads
  other,
};
inline constexpr std::size_t proxy_request_kind_count = 8;

std::string_view to_string(proxy_request_kind kind) noexcept;

struct proxied_request {
  proxy_request_kind kind = proxy_request_kind::other;
  std::string method;
  std::string target;
  std::size_t number = 0;          // 1-based, over all requests
  std::size_t number_of_kind = 0;  // 1-based, within its kind
};

enum class proxy_fault {
  none,
  slow_down,
  internal_error,
  reset_mid_body,
  truncate_body,
  stall,
  drop_connection,
  strip_date,
  delay,  // forward after 100 ms: a slow server
};

using fault_script = std::function<proxy_fault(const proxied_request&)>;

// Ready-made scripts.
// `fault` for the first `count` requests of `kind`.
fault_script fault_first(proxy_request_kind kind, std::size_t count, proxy_fault fault);
// `fault` for the first `count` requests of any kind.
fault_script fault_first_requests(std::size_t count, proxy_fault fault);
// `fault` on every `period`-th request of any kind (period, 2 * period, ...).
fault_script fault_every(std::size_t period, proxy_fault fault);
// `fault` on every request of `kind`.
fault_script fault_always(proxy_request_kind kind, proxy_fault fault);
// `fault` on the `nth` request of `kind` only.
fault_script fault_nth(proxy_request_kind kind, std::size_t nth, proxy_fault fault);

// What the proxy saw of a request.
struct proxy_log_entry {
  proxied_request request;
  proxy_fault fault = proxy_fault::none;
};

class fault_proxy {
 public:
  fault_proxy(std::string upstream_host, std::uint16_t upstream_port);
  ~fault_proxy();

  fault_proxy(const fault_proxy&) = delete;
  fault_proxy& operator=(const fault_proxy&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::string endpoint_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Thread-safe; applies to requests that arrive from now on.
  void set_faults(fault_script script);
  void clear_faults() { set_faults(nullptr); }
  // Zeroes the counters and the log (the numbering restarts at 1).
  void reset_counts();

  std::size_t count(proxy_request_kind kind) const noexcept { return by_kind_[static_cast<std::size_t>(kind)].load(); }
  std::size_t total() const noexcept { return total_.load(); }
  std::size_t faults_injected() const noexcept { return faults_.load(); }
  std::vector<proxy_log_entry> log() const;

 private:
  using tcp = boost::asio::ip::tcp;
  using stream = boost::beast::tcp_stream;

  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(tcp::socket socket);
  proxied_request classify(const std::string& method, const std::string& target);
  proxy_fault decide(const proxied_request& request);

  boost::asio::io_context context_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::string upstream_host_;
  std::uint16_t upstream_port_;
  mutable std::mutex mutex_;  // guards script_, log_ and the numbering
  std::shared_ptr<const fault_script> script_;
  std::vector<proxy_log_entry> log_;
  std::array<std::atomic<std::size_t>, proxy_request_kind_count> by_kind_{};
  std::atomic<std::size_t> total_{0};
  std::atomic<std::size_t> faults_{0};
  std::thread thread_;
};

// ---------------------------------------------------------------------------

namespace detail {

inline void proxy_ignore_outcome(std::exception_ptr) {}

// Whether the query of `target` has a parameter `name` (with or without a value).
inline bool has_query_parameter(std::string_view target, std::string_view name) {
  const auto question = target.find('?');
  if (question == std::string_view::npos) return false;
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (pair.substr(0, pair.find('=')) == name) return true;
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

// Path-style: /bucket/key. True when the path names a key.
inline bool names_a_key(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  if (path.size() < 2) return false;
  const auto slash = path.find('/', 1);
  return slash != std::string_view::npos && slash + 1 < path.size();
}

inline std::string s3_error_reply(unsigned status, std::string_view reason, std::string_view code) {
  std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>";
  body.append(code).append("</Code><Message>injected by fault_proxy</Message><RequestId>fault-proxy</RequestId></Error>");
  std::string text = "HTTP/1.1 " + std::to_string(status) + " ";
  text.append(reason).append("\r\nContent-Type: application/xml\r\nContent-Length: ");
  text.append(std::to_string(body.size())).append("\r\n\r\n").append(body);
  return text;
}

// The head of `response` with Content-Length `length` and Connection: close.
template <typename Message>
std::string rewritten_head(const Message& response, std::size_t length) {
  namespace beast_http = boost::beast::http;
  std::string text = "HTTP/1.1 " + std::to_string(response.result_int()) + " ";
  text.append(response.reason()).append("\r\n");
  for (const auto& field : response) {
    const auto name = field.name();
    if (name == beast_http::field::content_length || name == beast_http::field::transfer_encoding ||
        name == beast_http::field::connection) {
      continue;
    }
    text.append(field.name_string()).append(": ").append(field.value()).append("\r\n");
  }
  text.append("Content-Length: ").append(std::to_string(length)).append("\r\nConnection: close\r\n\r\n");
  return text;
}

}  // namespace detail

inline std::string_view to_string(proxy_request_kind kind) noexcept {
  switch (kind) {
    case proxy_request_kind::list_objects: return "ListObjectsV2";
    case proxy_request_kind::put_object: return "PutObject";
    case proxy_request_kind::upload_part: return "UploadPart";
    case proxy_request_kind::create_multipart: return "CreateMultipartUpload";
    case proxy_request_kind::complete_multipart: return "CompleteMultipartUpload";
    case proxy_request_kind::abort_multipart: return "AbortMultipartUpload";
    case proxy_request_kind::list_multipart_uploads: return "ListMultipartUploads";
    case proxy_request_kind::other: return "other";
  }
  return "other";
}

inline fault_script fault_first(proxy_request_kind kind, std::size_t count, proxy_fault fault) {
  return [=](const proxied_request& request) {
    return request.kind == kind && request.number_of_kind <= count ? fault : proxy_fault::none;
  };
}

inline fault_script fault_first_requests(std::size_t count, proxy_fault fault) {
  return [=](const proxied_request& request) { return request.number <= count ? fault : proxy_fault::none; };
}

inline fault_script fault_every(std::size_t period, proxy_fault fault) {
  return [=](const proxied_request& request) { return request.number % period == 0 ? fault : proxy_fault::none; };
}

inline fault_script fault_always(proxy_request_kind kind, proxy_fault fault) {
  return [=](const proxied_request& request) { return request.kind == kind ? fault : proxy_fault::none; };
}

inline fault_script fault_nth(proxy_request_kind kind, std::size_t nth, proxy_fault fault) {
  return [=](const proxied_request& request) {
    return request.kind == kind && request.number_of_kind == nth ? fault : proxy_fault::none;
  };
}

inline fault_proxy::fault_proxy(std::string upstream_host, std::uint16_t upstream_port)
    : acceptor_(context_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)),
      port_(acceptor_.local_endpoint().port()),
      upstream_host_(std::move(upstream_host)),
      upstream_port_(upstream_port) {
  boost::asio::co_spawn(context_, accept_loop(), detail::proxy_ignore_outcome);
  thread_ = run_in_background(context_);
}

inline fault_proxy::~fault_proxy() {
  context_.stop();
  thread_.join();
}

inline void fault_proxy::set_faults(fault_script script) {
  std::lock_guard lock(mutex_);
  script_ = script ? std::make_shared<const fault_script>(std::move(script)) : nullptr;
}

inline void fault_proxy::reset_counts() {
  std::lock_guard lock(mutex_);
  for (auto& count : by_kind_) count = 0;
  total_ = 0;
  faults_ = 0;
  log_.clear();
}

inline std::vector<proxy_log_entry> fault_proxy::log() const {
  std::lock_guard lock(mutex_);
  return log_;
}

inline proxied_request fault_proxy::classify(const std::string& method, const std::string& target) {
  proxied_request request;
  request.method = method;
  request.target = target;
  const bool key = detail::names_a_key(target);
  using kind = proxy_request_kind;
  if (method == "GET" && !key && detail::has_query_parameter(target, "list-type")) request.kind = kind::list_objects;
  else if (method == "GET" && !key && detail::has_query_parameter(target, "uploads")) request.kind = kind::list_multipart_uploads;
  else if (method == "PUT" && key && detail::has_query_parameter(target, "uploadId")) request.kind = kind::upload_part;
  else if (method == "PUT" && key) request.kind = kind::put_object;
  else if (method == "POST" && key && detail::has_query_parameter(target, "uploads")) request.kind = kind::create_multipart;
  else if (method == "POST" && key && detail::has_query_parameter(target, "uploadId")) request.kind = kind::complete_multipart;
  else if (method == "DELETE" && key && detail::has_query_parameter(target, "uploadId")) request.kind = kind::abort_multipart;
  return request;
}

inline proxy_fault fault_proxy::decide(const proxied_request& seen) {
  proxied_request request = seen;
  std::shared_ptr<const fault_script> script;
  {
    std::lock_guard lock(mutex_);
    request.number = ++total_;
    request.number_of_kind = ++by_kind_[static_cast<std::size_t>(request.kind)];
    script = script_;
  }
  const proxy_fault fault = script ? (*script)(request) : proxy_fault::none;
  if (fault != proxy_fault::none) ++faults_;
  std::lock_guard lock(mutex_);
  log_.push_back({std::move(request), fault});
  return fault;
}

inline boost::asio::awaitable<void> fault_proxy::accept_loop() {
  for (;;) {
    tcp::socket socket = co_await acceptor_.async_accept(boost::asio::use_awaitable);
    boost::asio::co_spawn(context_, serve(std::move(socket)), detail::proxy_ignore_outcome);
  }
}

inline boost::asio::awaitable<void> fault_proxy::serve(tcp::socket socket) {
  namespace beast_http = boost::beast::http;
  using boost::asio::use_awaitable;
  stream down(std::move(socket));
  std::optional<stream> up;
  boost::beast::flat_buffer down_buffer;
  boost::beast::flat_buffer up_buffer;
  for (;;) {
    beast_http::request_parser<beast_http::string_body> parser;
    parser.body_limit(256 * 1024 * 1024);
    co_await beast_http::async_read(down, down_buffer, parser, use_awaitable);  // throws at the client's close
    beast_http::request<beast_http::string_body> message = parser.release();
    const proxy_fault fault =
        decide(classify(std::string(message.method_string()), std::string(message.target())));

    if (fault == proxy_fault::slow_down || fault == proxy_fault::internal_error) {
      const std::string reply = fault == proxy_fault::slow_down
                                    ? detail::s3_error_reply(503, "Slow Down", "SlowDown")
                                    : detail::s3_error_reply(500, "Internal Server Error", "InternalError");
      co_await boost::asio::async_write(down, boost::asio::buffer(reply), use_awaitable);
      continue;
    }
    if (fault == proxy_fault::stall) {
      boost::asio::steady_timer forever(co_await boost::asio::this_coro::executor);
      forever.expires_after(std::chrono::minutes(10));
      co_await forever.async_wait(use_awaitable);
      co_return;
    }
    if (fault == proxy_fault::drop_connection) {
      boost::system::error_code ignored;
      down.socket().close(ignored);
      co_return;
    }
    if (fault == proxy_fault::delay) {
      boost::asio::steady_timer slow(co_await boost::asio::this_coro::executor);
      slow.expires_after(std::chrono::milliseconds(100));
      co_await slow.async_wait(use_awaitable);
    }

    // Forward; a pooled upstream connection that radosgw closed meanwhile
    // is replaced once.
    std::optional<beast_http::response<beast_http::string_body>> answer;
    for (int round = 0; round < 2 && !answer; ++round) {
      try {
        if (!up) {
          up.emplace(co_await boost::asio::this_coro::executor);
          tcp::resolver resolver(co_await boost::asio::this_coro::executor);
          const auto endpoints =
              co_await resolver.async_resolve(upstream_host_, std::to_string(upstream_port_), use_awaitable);
          co_await up->async_connect(endpoints, use_awaitable);
          up_buffer.clear();
        }
        co_await beast_http::async_write(*up, message, use_awaitable);
        beast_http::response_parser<beast_http::string_body> response_parser;
        response_parser.body_limit(256 * 1024 * 1024);
        if (message.method() == beast_http::verb::head) response_parser.skip(true);
        co_await beast_http::async_read(*up, up_buffer, response_parser, use_awaitable);
        const bool keep_alive = response_parser.keep_alive();
        answer.emplace(response_parser.release());
        if (!keep_alive) up.reset();
      } catch (const boost::system::system_error&) {
        up.reset();
        if (round == 1) throw;
      }
    }

    auto& raw = down.socket();
    boost::system::error_code ignored;
    if (fault == proxy_fault::reset_mid_body) {
      const std::string& body = answer->body();
      std::string text = detail::rewritten_head(*answer, body.size() + 100);
      text.append(body, 0, body.size() / 2);
      co_await boost::asio::async_write(down, boost::asio::buffer(text), use_awaitable);
      raw.set_option(boost::asio::socket_base::linger(true, 0), ignored);
      raw.close(ignored);  // RST, not FIN
      co_return;
    }
    if (fault == proxy_fault::truncate_body) {
      const std::string& body = answer->body();
      const std::size_t cut = body.size() / 2;
      std::string text = detail::rewritten_head(*answer, cut);
      text.append(body, 0, cut);
      co_await boost::asio::async_write(down, boost::asio::buffer(text), use_awaitable);
      raw.shutdown(tcp::socket::shutdown_both, ignored);
      raw.close(ignored);
      co_return;
    }
    if (fault == proxy_fault::strip_date) answer->erase(beast_http::field::date);
    const bool keep_alive = answer->keep_alive();
    co_await beast_http::async_write(down, *answer, use_awaitable);
    if (!keep_alive) {
      raw.shutdown(tcp::socket::shutdown_both, ignored);
      co_return;
    }
  }
}

}  // namespace s3co::testing
