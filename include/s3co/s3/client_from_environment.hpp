// The one-call S3 client: region, endpoint and credentials resolved as the
// AWS SDKs resolve them, on the Beast transport, which the client owns.
//
//   boost::asio::io_context io;
//   auto s3 = s3co::s3::client_from_environment(io.get_executor());
//   co_await s3.put_object({.bucket = "b", .key = "k"}, "hello");  // body by value
//
// client_from_environment blocks while it resolves (before an event loop
// runs, or in a synchronous program); in a coroutine, where a network
// provider (STS, the container endpoint, instance metadata) must not stall
// the event loop, co_await the same resolution instead:
//
//   auto s3 = co_await s3co::s3::async_client_from_environment(executor);
//   co_await s3->put_object({.bucket = "b", .key = "k"}, "hello");
//
// (on the heap: a client cannot move, since its requests point back at it).
//
// - region: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, the
//   instance metadata's, else us-east-1 (credentials/region.hpp);
// - endpoint: S3_ENDPOINT_URL, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the
//   profile's s3 endpoint, else AWS's own for the region;
// - credentials: the provider chain (credentials/provider_chain.hpp:
//   explicit, environment, web identity, shared files, container, instance
//   metadata), resolved once here and then refreshed in the background
//   before they expire (credentials/refreshing_credentials.hpp);
// - TLS trust: AWS_CA_BUNDLE (a PEM file), else the system store.
// Each can be given explicitly instead. A bad value throws aws::config_error
// naming the variable, before any request.
//
// Ownership: the returned client owns its HTTP transport; it must outlive
// the operations it started and the executor's context must outlive it.
#pragma once

#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "s3co/aws/credentials.hpp"
#include "s3co/aws/endpoint.hpp"
#include "s3co/aws/environment.hpp"
#include "s3co/aws/region.hpp"
#include "s3co/credentials/refreshing_credentials.hpp"
#include "s3co/credentials/region.hpp"
#include "s3co/detail/run_blocking.hpp"
#include "s3co/http/client.hpp"
#include "s3co/s3/client.hpp"

namespace s3co::s3 {

struct environment_client_options {
  std::optional<aws::credentials> credentials{};  // instead of the credentials chain
  std::optional<std::string> region{};            // instead of AWS_REGION...
  std::optional<aws::s3_endpoint> endpoint{};     // instead of S3_ENDPOINT_URL...
  http::client_options http = http::client_options();                    // timeouts, retries, TLS
};

// Resolves the settings without building a client (for logs, or a client
// over another transport): on `executor`, or blocking.
boost::asio::awaitable<client_settings> resolve_settings_from_environment(boost::asio::any_io_executor executor,
                                                                          environment_client_options options);
client_settings settings_from_environment(const environment_client_options& options);
client_settings settings_from_environment();

// `options` with the CA bundle from AWS_CA_BUNDLE unless one is set; a CA
// file that cannot be read is an aws::config_error naming where it came from.
http::client_options http_options_from_environment(const http::client_options& options);

client<http::client> client_from_environment(boost::asio::any_io_executor executor,
                                             environment_client_options options);
inline client<http::client> client_from_environment(boost::asio::any_io_executor executor) {
  return client_from_environment(std::move(executor), environment_client_options());
}

boost::asio::awaitable<std::unique_ptr<client<http::client>>> async_client_from_environment(
    boost::asio::any_io_executor executor, environment_client_options options);
inline boost::asio::awaitable<std::unique_ptr<client<http::client>>> async_client_from_environment(
    boost::asio::any_io_executor executor) {
  return async_client_from_environment(std::move(executor), environment_client_options());
}

// ---------------------------------------------------------------------------

inline boost::asio::awaitable<client_settings> resolve_settings_from_environment(
    boost::asio::any_io_executor executor, environment_client_options options) {
  client_settings settings;
  if (options.region) {
    aws::validate_region(*options.region, "region");
    settings.region = *options.region;
  } else {
    settings.region = co_await credentials::resolve_region(executor, credentials::instance_metadata_options());
  }
  settings.endpoint = options.endpoint ? *options.endpoint : aws::resolve_s3_endpoint(settings.region);
  credentials::chain_options chain;
  chain.explicit_credentials = std::move(options.credentials);
  settings.live_credentials =
      co_await credentials::resolve_live_credentials(executor, std::move(chain), credentials::refresh_options());
  settings.credentials = *settings.live_credentials->current();
  settings.credentials_source = settings.live_credentials->source();
  co_return settings;
}

inline client_settings settings_from_environment(const environment_client_options& options) {
  return s3co::detail::run_blocking([&](boost::asio::any_io_executor executor) {
    return resolve_settings_from_environment(std::move(executor), options);
  });
}

inline client_settings settings_from_environment() {
  const environment_client_options none;
  return settings_from_environment(none);
}

inline http::client_options http_options_from_environment(const http::client_options& given) {
  http::client_options options = given;
  std::string field = "ca_file";
  if (options.tls.ca_file.empty()) {
    if (auto bundle = aws::environment_value("AWS_CA_BUNDLE")) {
      options.tls.ca_file = std::move(*bundle);
      field = "AWS_CA_BUNDLE";
    }
  }
  if (!options.tls.ca_file.empty() && !std::ifstream(options.tls.ca_file)) {
    throw aws::config_error(field, "names a CA bundle that cannot be read");
  }
  return options;
}

inline client<http::client> client_from_environment(boost::asio::any_io_executor executor,
                                                    environment_client_options options) {
  // The CA bundle is checked first: a bad one fails before any provider is asked.
  http::client_options http_options = http_options_from_environment(options.http);
  client_settings settings = settings_from_environment(options);
  return client<http::client>(std::make_unique<http::client>(std::move(executor), std::move(http_options)),
                              std::move(settings));
}

inline boost::asio::awaitable<std::unique_ptr<client<http::client>>> async_client_from_environment(
    boost::asio::any_io_executor executor, environment_client_options options) {
  http::client_options http_options = http_options_from_environment(options.http);  // first, as above
  client_settings settings = co_await resolve_settings_from_environment(executor, std::move(options));
  co_return std::make_unique<client<http::client>>(
      std::make_unique<http::client>(std::move(executor), std::move(http_options)), std::move(settings));
}

}  // namespace s3co::s3
