// The HTTP methods S3 requests use, and their canonical spelling.
#pragma once

#include <string_view>

namespace s3co::aws {

enum class http_method { get, head, put, post, delete_ };

constexpr std::string_view method_name(http_method method) noexcept {
  switch (method) {
    case http_method::get: return "GET";
    case http_method::head: return "HEAD";
    case http_method::put: return "PUT";
    case http_method::post: return "POST";
    case http_method::delete_: return "DELETE";
  }
  return "GET";
}

}  // namespace s3co::aws
