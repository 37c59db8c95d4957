// TLS settings for the HTTP client: the peer is verified against the system
// trust store (or a given CA file) and must present a certificate for the
// host name asked for; SNI is sent. Turning verification off takes an
// explicit option, for test servers only.
#pragma once

#include <string>
#include <system_error>

#include <boost/asio/ssl.hpp>

namespace s3co::http {

struct tls_options {
  bool verify_peer = true;
  std::string ca_file = std::string();  // PEM bundle; empty: the system trust store
};

// A TLS 1.2+ client context for `options`. Throws std::system_error when the
// CA file cannot be loaded.
inline boost::asio::ssl::context make_tls_context(const tls_options& options) {
  namespace ssl = boost::asio::ssl;
  ssl::context context(ssl::context::tls_client);
  context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                      ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  if (options.verify_peer) {
    if (options.ca_file.empty()) {
      context.set_default_verify_paths();
    } else {
      boost::system::error_code error;
      context.load_verify_file(options.ca_file, error);
      if (error) throw std::system_error(error, "cannot load the CA file " + options.ca_file);
    }
    context.set_verify_mode(ssl::verify_peer);
  } else {
    context.set_verify_mode(ssl::verify_none);
  }
  return context;
}

}  // namespace s3co::http
