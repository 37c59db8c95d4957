// What the HTTP client's TLS context verifies (see tls.hpp, which builds it).
#pragma once

#include <string>

namespace s3co::http {

struct tls_options {
  bool verify_peer = true;
  std::string ca_file = std::string();  // PEM bundle; empty: the system trust store
};

}  // namespace s3co::http
