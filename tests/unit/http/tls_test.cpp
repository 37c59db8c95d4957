// Tests for include/s3co/http/tls.hpp and the https side of the client: a
// throw-away CA and server certificates (openssl CLI), a TLS test server on
// 127.0.0.1, and the client's verification of chain, host name and SNI.
#include <catch2/catch.hpp>

#include <chrono>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "s3co/http/client.hpp"
#include "s3co/http/tls.hpp"
#include "support/temp_file.hpp"
#include "support/test_http_options.hpp"
#include "support/test_http_run.hpp"
#include "support/test_http_server.hpp"
#include "support/test_tls_certs.hpp"

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
using s3co::testing::test_tls_certs;

namespace {

http::client_options trusting(const test_tls_certs& certs) {
  http::client_options options = quick_client_options();
  options.tls.ca_file = certs.ca_file();
  return options;
}

// Records the SNI host name each handshake asked for (on the server thread).
struct sni_record {
  std::mutex mutex;
  std::vector<std::string> names;

  static int on_hello(SSL* ssl, int*, void* self) {
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    auto& record = *static_cast<sni_record*>(self);
    std::lock_guard lock(record.mutex);
    record.names.emplace_back(name ? name : "");
    return SSL_TLSEXT_ERR_OK;
  }
  void attach(boost::asio::ssl::context& context) {
    SSL_CTX_set_tlsext_servername_callback(context.native_handle(), &sni_record::on_hello);
    SSL_CTX_set_tlsext_servername_arg(context.native_handle(), this);
  }
  std::vector<std::string> seen() {
    std::lock_guard lock(mutex);
    return names;
  }
};

// Accepts TCP connections and never says a word: a TLS handshake stalls.
boost::asio::awaitable<void> accept_and_hold(boost::asio::ip::tcp::acceptor& acceptor,
                                             std::vector<boost::asio::ip::tcp::socket>& held) {
  for (;;) held.push_back(co_await acceptor.async_accept(boost::asio::use_awaitable));
}

}  // namespace

TEST_CASE("TLS without the test CA is rejected by the default trust store and not retried", "[http][tls]") {
  const test_tls_certs certs;
  auto server_tls = certs.server_context("localhost");
  test_http_server server([](const test_http_request&) { return reply_ok("secret data"); }, &server_tls);
  boost::asio::io_context io;
  http::client client(io.get_executor(), quick_client_options());

  const http::transport_error error =
      expect_transport_error(io, client.send(server.request_to("/bucket/key", http::http_method::get, "localhost")));
  INFO(error.what());
  CHECK(error.attempts() == 1);  // a certificate failure is final
  CHECK_FALSE(error.retryable());
  CHECK_THAT(error.what(), Catch::Contains("TLS: the certificate of localhost is not trusted") &&
                               Catch::Contains("AWS_CA_BUNDLE"));
  CHECK(server.connections() == 1);
  CHECK(server.requests() == 0);
  CHECK(client.connections_opened() == 0);
  CHECK(client.retry_tokens() == 500);
}

TEST_CASE("TLS with the CA file is accepted for localhost and sends SNI", "[http][tls]") {
  const test_tls_certs certs;
  auto server_tls = certs.server_context("localhost");
  sni_record sni;
  sni.attach(server_tls);
  test_http_server server([](const test_http_request& seen) { return reply_ok("over tls " + seen.body); },
                          &server_tls);
  boost::asio::io_context io;
  http::client client(io.get_executor(), trusting(certs));

  for (int i = 0; i < 3; ++i) {
    const http::response answer =
        run_until_done(io, client.send(server.request_to("/bucket/key", http::http_method::get, "localhost")));
    CHECK(answer.status == 200);
    CHECK(answer.body == "over tls ");
  }
  const s3co::testing::temp_file file(std::string(100 * 1024, 'z'));
  http::request put = server.request_to("/bucket/key", http::http_method::put, "localhost");
  put.body = http::file_body{file.path()};
  const http::response stored = run_until_done(io, client.send(std::move(put)));
  CHECK(stored.body == "over tls " + std::string(100 * 1024, 'z'));

  CHECK(client.connections_opened() == 1);  // keep-alive over TLS
  CHECK(server.connections() == 1);
  const auto names = sni.seen();
  REQUIRE(names.size() == 1);
  CHECK(names[0] == "localhost");
  const auto seen = server.received();
  REQUIRE_FALSE(seen.empty());
  CHECK(seen[0].header("Host") == "localhost:" + std::to_string(server.port()));
}

TEST_CASE("TLS accepts a certificate whose IP address matches a numeric host", "[http][tls]") {
  const test_tls_certs certs;
  auto server_tls = certs.server_context("localhost");  // DNS:localhost and IP:127.0.0.1
  test_http_server server([](const test_http_request&) { return reply_ok("by address"); }, &server_tls);
  boost::asio::io_context io;
  http::client client(io.get_executor(), trusting(certs));

  const http::response answer = run_until_done(io, client.send(server.request_to("/bucket/key")));
  CHECK(answer.body == "by address");
}

TEST_CASE("TLS rejects a certificate for another host name", "[http][tls]") {
  const test_tls_certs certs;
  auto server_tls = certs.server_context("wrong.example");  // signed by the trusted CA, wrong name
  test_http_server server([](const test_http_request&) { return reply_ok("should not arrive"); }, &server_tls);
  boost::asio::io_context io;
  http::client client(io.get_executor(), trusting(certs));

  const http::transport_error error =
      expect_transport_error(io, client.send(server.request_to("/bucket/key", http::http_method::get, "localhost")));
  INFO(error.what());
  CHECK(error.attempts() == 1);
  CHECK_THAT(error.what(), Catch::Contains("TLS: the server's certificate is not for the host name localhost"));
  CHECK_THAT(error.what(), !Catch::Contains("not trusted"));
  CHECK(server.requests() == 0);
  CHECK(server.connections() == 1);

  // The same certificate, asked for by an address it does not name either.
  const http::transport_error by_address = expect_transport_error(io, client.send(server.request_to("/bucket/key")));
  CHECK(by_address.attempts() == 1);
  CHECK_THAT(by_address.what(), Catch::Contains("is not for the host name 127.0.0.1"));
  CHECK(server.requests() == 0);
}

TEST_CASE("TLS with verify_peer false accepts without the CA", "[http][tls]") {
  const test_tls_certs certs;
  auto server_tls = certs.server_context("wrong.example");
  test_http_server server([](const test_http_request&) { return reply_ok("unverified"); }, &server_tls);
  http::client_options options = quick_client_options();
  options.tls.verify_peer = false;
  boost::asio::io_context io;
  http::client client(io.get_executor(), options);

  const http::response answer =
      run_until_done(io, client.send(server.request_to("/bucket/key", http::http_method::get, "localhost")));
  CHECK(answer.status == 200);
  CHECK(answer.body == "unverified");
}

TEST_CASE("TLS resets and 503s are retried", "[http][tls]") {
  const test_tls_certs certs;
  auto server_tls = certs.server_context("localhost");
  test_http_server server(
      [](const test_http_request& seen) {
        if (seen.number == 1) return s3co::testing::reply_reset_mid_body();
        if (seen.number == 2) return reply_s3_error(503, "SlowDown");
        return reply_ok("third time");
      },
      &server_tls);
  boost::asio::io_context io;
  http::client client(io.get_executor(), trusting(certs));

  const http::response answer =
      run_until_done(io, client.send(server.request_to("/bucket/key", http::http_method::get, "localhost")));
  CHECK(answer.body == "third time");
  CHECK(answer.attempts == 3);
  CHECK(server.requests() == 3);
  CHECK(server.connections() == 2);
}

TEST_CASE("TLS connection the server closed while idle is replaced transparently", "[http][tls]") {
  const test_tls_certs certs;
  auto server_tls = certs.server_context("localhost");
  test_http_server server(
      [](const test_http_request&) {
        test_http_reply reply = reply_ok("once");
        reply.close_after = true;  // no close_notify, no `Connection: close`
        return reply;
      },
      &server_tls);
  boost::asio::io_context io;
  http::client client(io.get_executor(), trusting(certs));

  for (int i = 0; i < 4; ++i) {
    const http::response answer =
        run_until_done(io, client.send(server.request_to("/bucket/key", http::http_method::get, "localhost")));
    CHECK(answer.body == "once");
    CHECK(answer.attempts == 1);
  }
  CHECK(server.requests() == 4);
  CHECK(client.connections_opened() == 4);
}

TEST_CASE("TLS handshake that never completes ends in a connect timeout", "[http][tls][timeout]") {
  const test_tls_certs certs;
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  std::vector<boost::asio::ip::tcp::socket> held;
  boost::asio::co_spawn(io, accept_and_hold(acceptor, held), [](std::exception_ptr) {});

  http::client_options options = trusting(certs);
  options.connect_timeout = 300ms;
  http::client client(io.get_executor(), options);
  http::request req;
  req.scheme = "https";
  req.host = "localhost";
  req.port = acceptor.local_endpoint().port();
  req.authority = "localhost:" + std::to_string(req.port);
  req.target = "/bucket/key";

  const http::transport_error error = expect_transport_error(io, client.send(std::move(req)));
  CHECK(error.attempts() == 3);  // a timeout is retryable
  CHECK(held.size() == 3);
  CHECK(client.retry_tokens() == 500 - 10 - 10);
  acceptor.close();
}

TEST_CASE("TLS failure messages carry no query or header secrets", "[http][tls][secrets]") {
  const test_tls_certs certs;
  auto server_tls = certs.server_context("localhost");
  test_http_server server([](const test_http_request&) { return reply_ok(); }, &server_tls);
  boost::asio::io_context io;
  http::client client(io.get_executor(), quick_client_options());  // does not trust the test CA

  http::request req = server.request_to("/bucket/key?X-Amz-Signature=SECRETSIG", http::http_method::get, "localhost");
  req.headers.push_back({"Authorization", "SECRETAUTH"});
  const http::transport_error error = expect_transport_error(io, client.send(std::move(req)));
  const std::string what = error.what();
  INFO(what);
  CHECK(what.find("GET https://localhost:") == 0);
  CHECK(what.find("/bucket/key") != std::string::npos);
  CHECK(what.find("SECRETSIG") == std::string::npos);
  CHECK(what.find("SECRETAUTH") == std::string::npos);
}

TEST_CASE("make_tls_context fails with std::system_error for a missing CA file", "[http][tls]") {
  http::tls_options options;
  options.ca_file = "/nonexistent/s3co-test-ca.pem";
  CHECK_THROWS_AS(http::make_tls_context(options), std::system_error);

  boost::asio::io_context io;
  http::client_options client_options;
  client_options.tls = options;
  CHECK_THROWS_AS(http::client(io.get_executor(), client_options), std::system_error);

  options.verify_peer = false;  // the CA file is not read when nothing is verified
  CHECK_NOTHROW(http::make_tls_context(options));
}
