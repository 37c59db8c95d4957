// Cookbook: an object into a local file. Shown in README.md between the
// markers; tests/integration/cookbook runs it against radosgw.
#pragma once

#include <string_view>

#include <s3co/s3/client.hpp>

// [cookbook]
// The body streams to `path` (memory stays flat whatever its size); a
// missing key throws s3co::s3::s3_error whose code() is "NoSuchKey".
boost::asio::awaitable<void> download(s3co::s3::client<>& s3, std::string_view bucket, std::string_view key,
                                      std::string_view path) {
  co_await s3.get_object({.bucket = bucket, .key = key, .to_file = path});
}
// [/cookbook]
