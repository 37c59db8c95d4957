// An unsigned GET of a presigned URL, for the real http::client: how the
// tests fetch what a manifest or a result points to.
#pragma once

#include <string>

#include "s3co/aws/endpoint.hpp"
#include "s3co/http/message.hpp"

namespace s3co::testing {

inline http::request request_for_url(const std::string& url) {
  const auto path_start = url.find('/', url.find("://") + 3);
  const aws::s3_endpoint endpoint = aws::parse_endpoint_url(url.substr(0, path_start));
  http::request request;
  request.scheme = endpoint.scheme;
  request.host = endpoint.host;
  request.port = endpoint.port.value_or(endpoint.scheme == "https" ? 443 : 80);
  request.authority = endpoint.authority();
  request.target = url.substr(path_start);
  return request;
}

}  // namespace s3co::testing
