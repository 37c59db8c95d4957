// A throw-away certificate authority and server certificates for the TLS
// tests, made with the `openssl` command-line tool in a temporary folder that
// is removed with the object.
//
// - ca_file(): the CA certificate (PEM), to trust through tls_options.
// - "localhost": a server certificate for DNS:localhost and IP:127.0.0.1.
// - "wrong.example": a server certificate for DNS:wrong.example only.
// server_context(name) is a TLS server context with that certificate and key.
#pragma once

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <boost/asio/ssl/context.hpp>

namespace s3co::testing {

class test_tls_certs {
 public:
  test_tls_certs();
  ~test_tls_certs();

  test_tls_certs(const test_tls_certs&) = delete;
  test_tls_certs& operator=(const test_tls_certs&) = delete;

  std::string ca_file() const { return (folder_ / "ca.pem").string(); }
  std::string cert_file(const std::string& name) const { return (folder_ / (name + ".pem")).string(); }
  std::string key_file(const std::string& name) const { return (folder_ / (name + ".key")).string(); }

  boost::asio::ssl::context server_context(const std::string& name) const;

 private:
  void run(const std::string& command) const;
  void make_server_cert(const std::string& name, const std::string& subject_alt_names) const;

  std::filesystem::path folder_;
};

// ---------------------------------------------------------------------------

inline test_tls_certs::test_tls_certs() {
  std::random_device seed;
  folder_ = std::filesystem::temp_directory_path() /
            ("s3co-test-tls-" + std::to_string(seed()) + std::to_string(seed()));
  std::filesystem::create_directories(folder_);
  run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem "
      "-days 2 -subj '/CN=s3co test CA' -addext basicConstraints=critical,CA:TRUE "
      "-addext keyUsage=critical,keyCertSign,cRLSign");
  make_server_cert("localhost", "DNS:localhost,IP:127.0.0.1");
  make_server_cert("wrong.example", "DNS:wrong.example");
}

inline test_tls_certs::~test_tls_certs() {
  std::error_code ignored;
  std::filesystem::remove_all(folder_, ignored);
}

inline void test_tls_certs::run(const std::string& command) const {
  std::string line = "cd '";
  line.append(folder_.string()).append("' && ").append(command).append(" >>openssl.log 2>&1");
  INFO(line);
  REQUIRE(std::system(line.c_str()) == 0);
}

inline void test_tls_certs::make_server_cert(const std::string& name, const std::string& subject_alt_names) const {
  std::string request = "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ";
  request.append(name).append(".key -out ").append(name).append(".csr -subj /CN=").append(name);
  run(request);
  std::ofstream(folder_ / (name + ".ext")) << "subjectAltName=" << subject_alt_names
                                           << "\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature"
                                              "\nextendedKeyUsage=serverAuth\n";
  std::string sign = "openssl x509 -req -in ";
  sign.append(name).append(".csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out ");
  sign.append(name).append(".pem -extfile ").append(name).append(".ext");
  run(sign);
}

inline boost::asio::ssl::context test_tls_certs::server_context(const std::string& name) const {
  boost::asio::ssl::context context(boost::asio::ssl::context::tls_server);
  context.use_certificate_chain_file(cert_file(name));
  context.use_private_key_file(key_file(name), boost::asio::ssl::context::pem);
  return context;
}

}  // namespace s3co::testing
