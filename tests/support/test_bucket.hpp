// A new, uniquely named bucket on the test radosgw (S3CO_TEST_S3_ENV), with
// the client, transport and io_context that reach it, for integration tests;
// and the few things they all do to one: seed keys, read an object back,
// list keys, check that no multipart upload is left. The members run on
// `context` synchronously (run_async); the bucket is left behind, as every
// test's is, for the server's folder to be thrown away.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "s3co/http/client.hpp"
#include "s3co/s3/client.hpp"
#include "s3co/s3/list_objects.hpp"

#include "concurrently.hpp"
#include "run_async.hpp"
#include "s3_server_env.hpp"

namespace s3co::testing {

struct test_bucket {
  s3_server_env env = load_s3_server_env();
  boost::asio::io_context context;
  http::client transport{context.get_executor()};
  s3::client<http::client> s3{transport, env.credentials, env.region, env.endpoint};
  std::string bucket;

  explicit test_bucket(const std::string& stem) : bucket(unique_bucket(stem)) {
    run_async(context, s3.create_bucket(bucket));
  }

  // Puts every key, 32 at once, each holding `body`, or the body prefix and its key.
  void seed(const std::vector<std::string>& keys, const std::string& body = {}, bool key_in_body = false) {
    run_async(context, concurrently(keys.size(), 32, [&](std::size_t i) -> boost::asio::awaitable<void> {
      // (Named first: g++ 12 frees a temporary made inside co_await twice.)
      std::string contents = key_in_body ? body + keys[i] : body;
      co_await s3.put_object({.bucket = bucket, .key = keys[i]}, std::move(contents));
    }), std::chrono::seconds(600));
  }

  std::string object(const std::string& key) { return run_async(context, s3.get_object({.bucket = bucket, .key = key})); }

  std::vector<std::string> keys_under(const std::string& prefix) {
    std::vector<std::string> keys;
    s3::list_paginator pages(s3, {.bucket = bucket, .prefix = prefix});
    while (auto page = run_async(context, pages.next())) {
      for (auto& object : page->objects) keys.push_back(std::move(object.key));
    }
    return keys;
  }

  bool no_multipart_uploads() { return run_async(context, s3.list_multipart_uploads({.bucket = bucket})).empty(); }
};

}  // namespace s3co::testing
