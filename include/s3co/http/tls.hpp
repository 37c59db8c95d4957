// TLS settings for the HTTP client: the peer is verified against the system
// trust store (or a given CA file) and must present a certificate for the
// host name asked for; SNI is sent. Turning verification off takes an
// explicit option, for test servers only.
//
// A failed verification says which check failed, since the fixes differ: a
// certificate from a CA this client does not trust (give the CA file, e.g.
// through AWS_CA_BUNDLE), or a trusted certificate for another host name
// (the endpoint names the wrong host).
#pragma once

#include <cerrno>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include <openssl/x509_vfy.h>

#include <boost/asio/ssl.hpp>

#include "s3co/http/tls_options.hpp"

namespace s3co::http {

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

// The std::system_error make_tls_context throws for a CA file that cannot
// be opened, without reading it (a bundle takes tens of milliseconds to
// parse): a client fails at its construction, not at its first request.
inline void require_readable_ca_file(const tls_options& options) {
  if (!options.verify_peer || options.ca_file.empty()) return;
  std::FILE* file = std::fopen(options.ca_file.c_str(), "rb");
  if (!file) {
    throw std::system_error(std::error_code(errno, std::generic_category()), "cannot load the CA file " + options.ca_file);
  }
  std::fclose(file);
}

// The verify callback of one handshake: OpenSSL's chain verification, then
// the host name, recording which of them failed for describe_failure().
class peer_verification {
 public:
  explicit peer_verification(std::string host) : host_(std::move(host)), name_mismatch_(std::make_shared<bool>()) {}

  bool operator()(bool preverified, boost::asio::ssl::verify_context& context) const {
    const bool verified = boost::asio::ssl::host_name_verification(host_)(preverified, context);
    if (preverified && !verified) *name_mismatch_ = true;  // a trusted chain, for another name
    return verified;
  }

  // Why the handshake's verification failed, or nullopt if it did not;
  // `ssl` is the stream's handle.
  std::optional<std::string> failure(const SSL* ssl) const {
    if (*name_mismatch_) return "TLS: the server's certificate is not for the host name " + host_;
    const long result = ::SSL_get_verify_result(ssl);
    if (result == X509_V_OK) return std::nullopt;
    return "TLS: the certificate of " + host_ + " is not trusted (" + ::X509_verify_cert_error_string(result) +
           "); give the CA that issued it in a PEM file (AWS_CA_BUNDLE, or tls_options::ca_file)";
  }

 private:
  std::string host_;
  std::shared_ptr<bool> name_mismatch_;  // shared: Asio copies the callback
};

}  // namespace s3co::http
