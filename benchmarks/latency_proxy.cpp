// latency_proxy: an HTTP/1.1 forwarder that holds every response for a while,
// so that a local S3 server answers like a distant one.
//
//   latency_proxy --upstream HOST:PORT [--delay-ms D] [--port PORT]
//
// Listens on 127.0.0.1 (port 0: any free port; {"port":P} is printed on
// stdout once listening). Each client connection gets its own upstream
// connection, kept alive as long as the client keeps its own. The request
// bytes go upstream exactly as they arrive (request line, headers with Host,
// body), so SigV4 signatures still verify. Responses are read whole from
// upstream and sent to the client D ms (default 100) after their last byte
// arrived; an interim 100 Continue is passed on at once. The response is
// re-serialized (same status, fields and body). Requests are not pipelined
// by the clients measured here; a HEAD request is not supported (its
// response would be read as if it had a body).
//
// One thread. Either side closing closes both.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::use_awaitable;

struct options {
  std::string upstream_host = "127.0.0.1";
  std::string upstream_port;
  std::chrono::milliseconds delay{100};
  unsigned short port = 0;
};

// Client to upstream, byte for byte, until the client closes.
asio::awaitable<void> forward_requests(tcp::socket& client, tcp::socket& upstream) {
  char data[64 * 1024];
  beast::error_code error;
  for (;;) {
    const std::size_t n = co_await client.async_read_some(asio::buffer(data), asio::redirect_error(use_awaitable, error));
    if (error) break;
    co_await asio::async_write(upstream, asio::buffer(data, n), asio::redirect_error(use_awaitable, error));
    if (error) break;
  }
  upstream.shutdown(tcp::socket::shutdown_send, error);
}

// Upstream to client, one whole response at a time, each held for `delay`.
asio::awaitable<void> forward_responses(tcp::socket& upstream, tcp::socket& client, std::chrono::milliseconds delay) {
  beast::flat_buffer buffer;
  asio::steady_timer timer(client.get_executor());
  beast::error_code error;
  for (;;) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(boost::none);
    parser.header_limit(1024 * 1024);
    co_await http::async_read(upstream, buffer, parser, asio::redirect_error(use_awaitable, error));
    if (error) break;
    auto& response = parser.get();
    if (response.result_int() >= 200 && delay.count() > 0) {
      timer.expires_after(delay);
      co_await timer.async_wait(asio::redirect_error(use_awaitable, error));
    }
    const bool keep_alive = response.result_int() < 200 || parser.keep_alive();
    co_await http::async_write(client, response, asio::redirect_error(use_awaitable, error));
    if (error || !keep_alive) break;
  }
  client.shutdown(tcp::socket::shutdown_send, error);
  client.close(error);
  upstream.close(error);
}

asio::awaitable<void> serve(tcp::socket client, options opts) {
  auto executor = co_await asio::this_coro::executor;
  tcp::socket upstream(executor);
  beast::error_code error;
  tcp::resolver resolver(executor);
  const auto endpoints = co_await resolver.async_resolve(opts.upstream_host, opts.upstream_port,
                                                         asio::redirect_error(use_awaitable, error));
  if (error) co_return;
  co_await asio::async_connect(upstream, endpoints, asio::redirect_error(use_awaitable, error));
  if (error) co_return;
  client.set_option(tcp::no_delay(true), error);
  upstream.set_option(tcp::no_delay(true), error);
  using namespace asio::experimental::awaitable_operators;
  co_await (forward_requests(client, upstream) && forward_responses(upstream, client, opts.delay));
}

asio::awaitable<void> accept(tcp::acceptor& acceptor, options opts) {
  for (;;) {
    tcp::socket client = co_await acceptor.async_accept(use_awaitable);
    asio::co_spawn(acceptor.get_executor(), serve(std::move(client), opts), asio::detached);
  }
}

[[noreturn]] void usage(std::string_view problem) {
  std::cerr << "latency_proxy: " << problem << "\nusage: latency_proxy --upstream HOST:PORT [--delay-ms D] [--port PORT]\n";
  std::exit(2);
}

options parse_options(int argc, char** argv) {
  options opts;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) usage(std::string(flag) + " needs a value");
    const std::string value = argv[++i];
    try {
      if (flag == "--upstream") {
        const std::size_t colon = value.rfind(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == value.size()) usage("--upstream is HOST:PORT");
        opts.upstream_host = value.substr(0, colon);
        opts.upstream_port = value.substr(colon + 1);
      } else if (flag == "--delay-ms") {
        opts.delay = std::chrono::milliseconds(std::stoul(value));
      } else if (flag == "--port") {
        opts.port = static_cast<unsigned short>(std::stoul(value));
      } else {
        usage("unknown flag " + std::string(flag));
      }
    } catch (const std::logic_error&) {
      usage(std::string(flag) + " needs a number, not '" + value + "'");
    }
  }
  if (opts.upstream_port.empty()) usage("--upstream is required");
  return opts;
}

}  // namespace

int main(int argc, char** argv) {
  const options opts = parse_options(argc, argv);
  asio::io_context io(1);
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), opts.port));
  std::cout << "{\"port\":" << acceptor.local_endpoint().port() << ",\"delay_ms\":" << opts.delay.count() << "}"
            << std::endl;
  asio::co_spawn(io, accept(acceptor, opts), asio::detached);
  io.run();
}
