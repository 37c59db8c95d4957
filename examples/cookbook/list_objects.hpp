// Cookbook: every object under a prefix. Shown in README.md between the
// markers; tests/integration/cookbook runs it against radosgw.
#pragma once

#include <string>
#include <vector>

// [cookbook]
#include <s3co/s3/list_objects.hpp>

boost::asio::awaitable<std::vector<std::string>> list_pdfs(s3co::s3::client<>& s3, const std::string& bucket) {
  std::vector<std::string> keys;
  s3co::s3::object_lister objects(s3, {.bucket = bucket, .prefix = "2026/04/"});
  while (auto object = co_await objects.next())  // objects.page() has the page it came from
    if (object->key.ends_with(".pdf")) keys.push_back(object->key);
  co_return keys;
}
// [/cookbook]
