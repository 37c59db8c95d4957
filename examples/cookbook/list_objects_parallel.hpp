// Cookbook: a huge prefix listed by many requests at once. Shown in
// README.md between the markers; tests/integration/cookbook runs it
// against radosgw.
#pragma once

#include <cstdint>
#include <string>

// [cookbook]
#include <s3co/s3/parallel_lister.hpp>

boost::asio::awaitable<std::uint64_t> count_objects(s3co::s3::client<>& s3, const std::string& bucket) {
  std::uint64_t count = 0;
  s3co::s3::parallel_lister pages(s3, {.bucket = bucket, .prefix = "2026/"}, {.chains = 16});
  while (auto page = co_await pages.next()) count += page->objects.size();  // in S3's order
  co_return count;
}
// [/cookbook]
