// Cookbook: a presigned GET URL. Shown in README.md between the markers;
// tests/integration/cookbook fetches the URL from radosgw.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <s3co/s3/client.hpp>

// [cookbook]
// Valid for an hour from now, by the server's clock as the client learned it
// (a skewed local clock still gives a live URL).
std::string share_link(s3co::s3::client<>& s3, std::string_view bucket, std::string_view key) {
  return s3.presigner().presign({.bucket = bucket, .key = key, .expires = std::chrono::hours(1)});
}
// [/cookbook]
