// The definitions of http::client (client.hpp): inline there by default, or
// compiled once by s3co/src.hpp under S3CO_SEPARATE_COMPILATION. Everything
// that needs Beast, Asio's sockets or OpenSSL is here.
#pragma once

#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "s3co/http/client.hpp"
#include "s3co/http/tls.hpp"

namespace s3co::http {

namespace detail {

inline aws::failure_kind classify_transport_error(const boost::system::error_code& code) noexcept {
  namespace error = boost::asio::error;
  if (code == boost::beast::error::timeout || code == error::timed_out) return aws::failure_kind::timeout;
  if (code == error::connection_reset || code == error::connection_refused || code == error::connection_aborted ||
      code == error::broken_pipe || code == error::eof || code == error::network_unreachable ||
      code == error::host_unreachable || code == boost::beast::http::error::end_of_stream ||
      code == boost::beast::http::error::partial_message || code == boost::beast::error::timeout ||
      code == boost::asio::ssl::error::stream_truncated) {
    return aws::failure_kind::connection;
  }
  return aws::failure_kind::fatal;
}

inline double unit_random() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

inline boost::beast::http::verb to_verb(http_method method) noexcept {
  using boost::beast::http::verb;
  switch (method) {
    case http_method::get: return verb::get;
    case http_method::head: return verb::head;
    case http_method::put: return verb::put;
    case http_method::post: return verb::post;
    case http_method::delete_: return verb::delete_;
  }
  return verb::get;
}

template <typename Fields>
void fill_request_header(Fields& header, const request& req, const std::string& user_agent) {
  header.set(boost::beast::http::field::host, req.authority);
  header.set(boost::beast::http::field::user_agent, user_agent);
  for (const auto& field : req.headers) header.set(field.name, field.value);
}

using plain_stream = boost::beast::tcp_stream;
using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

}  // namespace detail

struct client::connection {
  template <typename... Args>
  explicit connection(std::string key, Args&&... args) : pool_key(std::move(key)), stream(std::forward<Args>(args)...) {
    buffer.reserve(read_size);
  }
  // Beast reads as much as the buffer has room for (at least 512 bytes), and
  // the parser drains it into the body after each read: a buffer left at the
  // size of a header would read a 300 KB listing in ~1 KB pieces, a system
  // call, a timer reset and an epoll wait each.
  static constexpr std::size_t read_size = 64 * 1024;
  std::string pool_key;
  std::variant<detail::plain_stream, detail::tls_stream> stream;
  boost::beast::flat_buffer buffer;
};

struct client::pool {
  explicit pool(const tls_options& tls) : tls(tls) { require_readable_ca_file(tls); }
  // Made at the first TLS connection: loading a CA bundle costs tens of
  // milliseconds and ~100k allocations, which a client of a plain-HTTP
  // endpoint never needs.
  boost::asio::ssl::context& tls_context() {
    const std::lock_guard lock(mutex);
    if (!context) context.emplace(make_tls_context(tls));
    return *context;
  }
  tls_options tls;
  std::optional<boost::asio::ssl::context> context;
  std::mutex mutex;
  std::unordered_map<std::string, std::vector<connection_ptr>> idle;
};

namespace detail {
template <typename Stream>
boost::asio::awaitable<response> exchange(Stream& stream, boost::beast::flat_buffer& buffer, const request& req,
                                          const client_options& options, bool& keep_alive, bool& answered);
}  // namespace detail

S3CO_DECL client::client(boost::asio::any_io_executor executor, client_options options)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      quota_(options_.retry.quota_capacity),
      pool_(std::make_unique<pool>(options_.tls)) {}

S3CO_DECL client::~client() = default;

S3CO_DECL boost::asio::awaitable<response> client::send(request req) {
  using aws::failure_kind;
  bool clock_corrected = false;
  for (int attempt_number = 1;; ++attempt_number) {
    if (req.authorize) req.authorize(req, std::chrono::system_clock::now());
    std::optional<response> answer;
    boost::system::error_code failure;
    failure_kind kind;
    try {
      answer = co_await attempt(req);
      kind = req.classify ? req.classify(*answer) : aws::classify_response(answer->status, {});
    } catch (const boost::system::system_error& error) {
      if (error.code() == boost::asio::error::operation_aborted) throw;  // cancelled by the caller
      failure = error.code();
      kind = detail::classify_transport_error(failure);
    }
    if (kind == failure_kind::none) {
      quota_.on_success(options_.retry);
      answer->attempts = attempt_number;
      co_return std::move(*answer);
    }
    const bool may_retry =
        attempt_number < options_.retry.max_attempts &&
        (kind == failure_kind::clock_skew ? !clock_corrected
                                          : aws::is_retryable(kind) && quota_.try_acquire(options_.retry, kind));
    if (!may_retry) {
      if (answer) {
        answer->attempts = attempt_number;
        co_return std::move(*answer);
      }
      std::string operation = req.describe();
      const std::string what = operation + " failed after " + std::to_string(attempt_number) + " attempt" +
                               (attempt_number == 1 ? "" : "s");
      throw transport_error(failure, std::move(operation), what, attempt_number, aws::is_retryable(kind));
    }
    if (kind == failure_kind::clock_skew) {
      clock_corrected = true;
      continue;
    }
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
    timer.expires_after(aws::backoff_delay(options_.retry, attempt_number, detail::unit_random()));
    co_await timer.async_wait(boost::asio::use_awaitable);
  }
}

S3CO_DECL boost::asio::awaitable<response> client::attempt(const request& req) {
  std::string key = req.scheme + "://" + req.host + ":" + std::to_string(req.port);
  connection_ptr conn = take_idle(key);
  const bool reused = conn != nullptr;
  for (int round = 0;; ++round) {
    if (!conn) conn = co_await connect(req, key);
    bool keep_alive = false;
    bool answered = false;
    try {
      // (Not std::visit with a lambda: compiled once, a coroutine frame must
      // not hold a type without linkage.)
      response answer;
      if (auto* tls = std::get_if<detail::tls_stream>(&conn->stream)) {
        answer = co_await detail::exchange(*tls, conn->buffer, req, options_, keep_alive, answered);
      } else {
        answer = co_await detail::exchange(std::get<detail::plain_stream>(conn->stream), conn->buffer, req, options_,
                                           keep_alive, answered);
      }
      if (keep_alive) put_idle(std::move(conn));
      co_return answer;
    } catch (const boost::system::system_error& error) {
      // The server may have closed an idle connection just before we used
      // it: that is not the request's fault, so try once on a fresh one. Not
      // once an answer has begun: the server handled the request, and a
      // replay must count as an attempt.
      const bool stale = reused && round == 0 && !answered &&
                         detail::classify_transport_error(error.code()) == aws::failure_kind::connection;
      if (!stale) throw;
      conn.reset();
    }
  }
}

S3CO_DECL boost::asio::awaitable<client::connection_ptr> client::connect(const request& req, std::string key) {
  namespace ssl = boost::asio::ssl;
  boost::asio::ip::tcp::resolver resolver(executor_);
  const auto endpoints =
      co_await resolver.async_resolve(req.host, std::to_string(req.port), boost::asio::use_awaitable);
  connection_ptr conn;
  if (req.scheme == "https") {
    // Each stream on its own strand: Beast's timeouts need the stream's
    // handlers serialized when the context runs on several threads.
    conn = std::make_unique<connection>(std::move(key), std::in_place_type<detail::tls_stream>,
                                        boost::asio::make_strand(executor_), pool_->tls_context());
    auto& stream = std::get<detail::tls_stream>(conn->stream);
    if (!SSL_set_tlsext_host_name(stream.native_handle(), req.host.c_str())) {
      throw boost::system::system_error(
          boost::system::error_code(static_cast<int>(::ERR_get_error()), boost::asio::error::get_ssl_category()));
    }
    const peer_verification verification(req.host);
    if (options_.tls.verify_peer) stream.set_verify_callback(verification);
    boost::beast::get_lowest_layer(stream).expires_after(options_.connect_timeout);
    co_await boost::beast::get_lowest_layer(stream).async_connect(endpoints, boost::asio::use_awaitable);
    boost::system::error_code handshake_error;
    co_await stream.async_handshake(ssl::stream_base::client,
                                    boost::asio::redirect_error(boost::asio::use_awaitable, handshake_error));
    if (handshake_error) {
      // A certificate that failed verification is final, and says which check failed.
      if (const auto why = options_.tls.verify_peer ? verification.failure(stream.native_handle()) : std::nullopt) {
        throw transport_error(handshake_error, req.describe(), req.describe() + " failed: " + *why, 1, false);
      }
      throw boost::system::system_error(handshake_error);
    }
  } else {
    conn = std::make_unique<connection>(std::move(key), std::in_place_type<detail::plain_stream>,
                                        boost::asio::make_strand(executor_));
    auto& stream = std::get<detail::plain_stream>(conn->stream);
    stream.expires_after(options_.connect_timeout);
    co_await stream.async_connect(endpoints, boost::asio::use_awaitable);
  }
  ++connections_opened_;
  co_return conn;
}

template <typename Stream>
boost::asio::awaitable<response> detail::exchange(Stream& stream, boost::beast::flat_buffer& buffer,
                                                  const request& req, const client_options& options,
                                                  bool& keep_alive, bool& answered) {
  namespace http = boost::beast::http;
  using boost::asio::use_awaitable;
  boost::beast::get_lowest_layer(stream).expires_after(options.request_timeout);
  const auto verb = detail::to_verb(req.method);

  if (const std::optional<std::string_view> bytes = in_memory_bytes(req.body)) {
    http::request<http::span_body<const char>> message{verb, req.target, 11};
    detail::fill_request_header(message, req, options.user_agent);
    message.body() = {bytes->data(), bytes->size()};
    message.prepare_payload();
    co_await http::async_write(stream, message, use_awaitable);
  } else if (const auto* file = std::get_if<file_body>(&req.body)) {
    http::request<http::file_body> message{verb, req.target, 11};
    detail::fill_request_header(message, req, options.user_agent);
    boost::beast::error_code error;
    message.body().open(file->path.c_str(), boost::beast::file_mode::scan, error);
    if (error) throw std::system_error(error, "cannot open " + file->path + " for " + req.describe());
    message.prepare_payload();
    co_await http::async_write(stream, message, use_awaitable);
  } else {
    http::request<http::empty_body> message{verb, req.target, 11};
    detail::fill_request_header(message, req, options.user_agent);
    if (verb == http::verb::put || verb == http::verb::post) message.content_length(0);
    co_await http::async_write(stream, message, use_awaitable);
  }

  http::response_parser<http::empty_body> header_parser;
  // No limit yet: a download into a file may be larger than in-memory bodies
  // may be; the limit is applied below, once we know where the body goes.
  header_parser.body_limit(boost::none);
  if (verb == http::verb::head) header_parser.skip(true);
  co_await http::async_read_header(stream, buffer, header_parser, use_awaitable);
  answered = true;

  response answer;
  answer.status = header_parser.get().result_int();
  for (const auto& field : header_parser.get()) {
    answer.headers.push_back({std::string(field.name_string()), std::string(field.value())});
  }
  const bool to_file = !req.response_file.empty() && answer.ok() && verb != http::verb::head;
  if (header_parser.is_done()) {
    if (to_file) {
      // An empty body still makes an (empty) file, as a download should.
      boost::beast::error_code error;
      boost::beast::file file;
      file.open(req.response_file.c_str(), boost::beast::file_mode::write, error);
      if (error) throw std::system_error(error, "cannot write " + req.response_file + " for " + req.describe());
    }
    keep_alive = header_parser.keep_alive();
    co_return answer;
  }
  if (to_file) {
    // A large download streams to its file; only error bodies stay in memory.
    http::response_parser<http::file_body> parser(std::move(header_parser));
    parser.body_limit(boost::none);
    boost::beast::error_code error;
    parser.get().body().open(req.response_file.c_str(), boost::beast::file_mode::write, error);
    if (error) throw std::system_error(error, "cannot write " + req.response_file + " for " + req.describe());
    co_await http::async_read(stream, buffer, parser, use_awaitable);
    keep_alive = parser.keep_alive();
  } else {
    // Checked before the string body reserves the announced length.
    const auto announced = header_parser.content_length();
    if (announced && *announced > options.max_response_body) {
      throw boost::system::system_error(http::error::body_limit);
    }
    http::response_parser<http::string_body> parser(std::move(header_parser));
    parser.body_limit(options.max_response_body);
    co_await http::async_read(stream, buffer, parser, use_awaitable);
    keep_alive = parser.keep_alive();
    answer.body = std::move(parser.get().body());
  }
  co_return answer;
}

S3CO_DECL client::connection_ptr client::take_idle(const std::string& key) {
  std::lock_guard lock(pool_->mutex);
  auto found = pool_->idle.find(key);
  if (found == pool_->idle.end() || found->second.empty()) return nullptr;
  connection_ptr conn = std::move(found->second.back());
  found->second.pop_back();
  return conn;
}

S3CO_DECL void client::put_idle(connection_ptr conn) {
  std::lock_guard lock(pool_->mutex);
  auto& idle = pool_->idle[conn->pool_key];
  if (idle.size() < options_.max_idle_connections_per_host) idle.push_back(std::move(conn));
}

}  // namespace s3co::http
