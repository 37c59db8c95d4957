// The S3 layer against radosgw, through the real Beast client.
#include "s3co/http/client.hpp"
#include "s3co/s3/client.hpp"
#include "s3co/s3/list_objects.hpp"
#include "s3co/s3/multipart_upload.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include <boost/asio/io_context.hpp>

#include "support/concurrently.hpp"
#include "support/run_async.hpp"
#include "support/s3_server_env.hpp"
#include "support/temp_file.hpp"
#include "support/tricky_keys.hpp"

using namespace s3co;
using boost::asio::awaitable;
using s3co::testing::run_async;

namespace {

struct connection {
  s3co::testing::s3_server_env env = s3co::testing::load_s3_server_env();
  boost::asio::io_context context;
  http::client transport{context.get_executor()};
  s3::client<http::client> s3{transport, env.credentials, env.region, env.endpoint};

  std::string new_bucket(const std::string& stem) {
    std::string bucket = s3co::testing::unique_bucket(stem);
    run_async(context, s3.create_bucket(bucket));
    return bucket;
  }

  std::vector<std::string> list_all(s3::list_request request) {
    return run_async(context, [&]() -> awaitable<std::vector<std::string>> {
      s3::list_paginator pages(s3, request);
      std::vector<std::string> keys;
      while (auto page = co_await pages.next()) {
        for (auto& object : page->objects) keys.push_back(std::move(object.key));
        for (auto& prefix : page->common_prefixes) keys.push_back("prefix:" + prefix);
      }
      co_return keys;
    }());
  }
};

std::string random_bytes(std::size_t size, unsigned seed) {
  std::mt19937 random(seed);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(random() & 0xff);
  return bytes;
}

}  // namespace

TEST_CASE("tricky keys list back exactly: 2,500 at page sizes 7 and 1000, every kind of them at page size 1",
          "[s3][list]") {
  connection c;
  // `tricky` keys from tricky_keys (the first ones are the same whatever the
  // count), the specials, then keys of about 1000 bytes up to `total`.
  const auto tricky_key_set = [](std::size_t tricky, std::size_t total) {
    std::set<std::string> keys;
    for (auto& key : s3co::testing::tricky_keys(tricky, 17)) keys.insert(std::move(key));
    for (const char* special : {"ctl\x01" "char", "ctl\x1f/unit", "xml<>&'\"special", "<Key>fake</Key>", "+plus+",
                                "percent%41", "./dot", "../dotdot", "/", "a/./b/../c"}) {
      keys.insert(special);
    }
    for (int i = 0; keys.size() < total; ++i) keys.insert("thousand/" + std::string(990, 'k') + std::to_string(i));
    return std::vector<std::string>(keys.begin(), keys.end());
  };
  // At page size 1 every key is a request (2,500 took 30-65 s, and failed
  // run_async's 120 s guard under load): continuation across each kind of
  // key is what it proves, and 220 keys hold every kind the 2,500 do.
  const std::vector<std::string> many = tricky_key_set(2300, 2500);
  const std::vector<std::string> few = tricky_key_set(200, 220);
  const auto bytes_of = [](const std::vector<std::string>& keys) {
    std::set<char> bytes;
    for (const auto& key : keys) bytes.insert(key.begin(), key.end());
    return bytes;
  };
  const auto longest = [](const std::vector<std::string>& keys) {
    std::size_t size = 0;
    for (const auto& key : keys) size = std::max(size, key.size());
    return size;
  };
  REQUIRE(bytes_of(few) == bytes_of(many));
  REQUIRE(longest(few) == 1024);
  REQUIRE(std::count_if(few.begin(), few.end(), [](const std::string& key) { return key.starts_with("thousand/"); }) >=
          2);

  const auto list_back = [&](const std::vector<std::string>& expected, std::initializer_list<int> page_sizes) {
    const std::string bucket = c.new_bucket("list-tricky");
    run_async(c.context, s3co::testing::concurrently(expected.size(), 32, [&](std::size_t i) -> awaitable<void> {
      co_await c.s3.put_object({.bucket = bucket, .key = expected[i]}, "body of object " + std::to_string(i));
    }));
    for (const int page_size : page_sizes) {
      INFO("page size " << page_size);
      const auto listed = c.list_all({bucket, "", "", "", page_size, ""});
      CHECK(listed.size() == expected.size());
      CHECK(listed == expected);
    }
  };
  list_back(many, {1000, 7});
  list_back(few, {1});
}

TEST_CASE("prefix, delimiter and start-after", "[s3][list]") {
  connection c;
  const std::string bucket = c.new_bucket("list-delimiter");
  const std::vector<std::string> keys{"2026/04/a.pdf", "2026/04/b.pdf", "2026/04/sub dir/c.pdf",
                                      "2026/04/sub dir/d.pdf", "2026/05/e.pdf", "other.txt"};
  run_async(c.context, s3co::testing::concurrently(keys.size(), 8, [&](std::size_t i) -> awaitable<void> {
    co_await c.s3.put_object({.bucket = bucket, .key = keys[i]}, "x");
  }));
  CHECK(c.list_all({bucket, "2026/04/", "", "/", 1000, ""}) ==
        std::vector<std::string>{"2026/04/a.pdf", "2026/04/b.pdf", "prefix:2026/04/sub dir/"});
  CHECK(c.list_all({bucket, "2026/04/", "", "/", 1, ""}) ==
        std::vector<std::string>{"2026/04/a.pdf", "2026/04/b.pdf", "prefix:2026/04/sub dir/"});
  CHECK(c.list_all({bucket, "", "", "/", 1000, ""}) == std::vector<std::string>{"other.txt", "prefix:2026/"});
  CHECK(c.list_all({bucket, "2026/", "2026/04/sub dir/c.pdf", "", 2, ""}) ==
        std::vector<std::string>{"2026/04/sub dir/d.pdf", "2026/05/e.pdf"});
  CHECK(c.list_all({bucket, "nothing/", "", "", 1000, ""}).empty());
}

TEST_CASE("a 20 MiB multipart upload comes back byte-identical", "[s3][multipart]") {
  connection c;
  const std::string bucket = c.new_bucket("multipart");
  const std::string data = random_bytes(20 * 1024 * 1024 + 12345, 42);
  const auto summary = run_async(c.context, [&]() -> awaitable<s3::upload_summary> {
    s3::multipart_upload_stream stream(c.s3, bucket, "big/object.bin", {s3::min_part_size, 3, "application/octet-stream"});
    // Odd-sized writes, as a producer would make them.
    for (std::size_t offset = 0; offset < data.size(); offset += 777'777) {
      co_await stream.write(std::string_view(data).substr(offset, 777'777));
    }
    co_return co_await stream.complete();
  }());
  CHECK(summary.multipart);
  CHECK(summary.parts == 5);
  CHECK(summary.bytes == data.size());
  CHECK(run_async(c.context, c.s3.get_object({.bucket = bucket, .key = "big/object.bin"})) == data);
  CHECK(run_async(c.context, c.s3.list_multipart_uploads({.bucket = bucket})).empty());

  const s3co::testing::temp_file downloaded("");
  run_async(c.context, c.s3.get_object({.bucket = bucket, .key = "big/object.bin", .to_file = downloaded.path()}));
  std::ifstream file(downloaded.path(), std::ios::binary);
  CHECK(std::string(std::istreambuf_iterator<char>(file), {}) == data);
}

TEST_CASE("ranged and conditional GetObject", "[s3][object]") {
  connection c;
  const std::string bucket = c.new_bucket("ranged-get");
  const std::string data = random_bytes(100'000, 3);
  const auto stored = run_async(c.context, c.s3.put_object({.bucket = bucket, .key = "r.bin"}, data));
  CHECK(run_async(c.context, c.s3.get_object({.bucket = bucket, .key = "r.bin", .range = s3::byte_range{10, 19}})) ==
        data.substr(10, 10));
  CHECK(run_async(c.context, c.s3.get_object({.bucket = bucket, .key = "r.bin",
                                              .range = s3::byte_range{99'999, 99'999}, .if_match = stored.etag})) ==
        data.substr(99'999));
  try {
    run_async(c.context, c.s3.get_object({.bucket = bucket, .key = "r.bin", .if_match = "\"0123\""}));
    FAIL("a GET pinned to another ETag succeeded");
  } catch (const s3::s3_error& error) {
    CHECK(error.status() == 412);
  }
  CHECK_THROWS_WITH(run_async(c.context, c.s3.get_object({.bucket = bucket, .key = "r.bin", .range = s3::byte_range{5, 4}})),
                    Catch::StartsWith("range:"));
}

TEST_CASE("appended objects are copied server-side where S3 allows, read in where not: byte-identical", "[s3][multipart]") {
  connection c;
  const std::string bucket = c.new_bucket("append-object");
  constexpr std::size_t mib = 1024 * 1024;
  const std::vector<std::pair<std::string, std::string>> sources = {
      {"a", random_bytes(1 * mib, 1)},      {"b", random_bytes(7 * mib, 2)}, {"c", random_bytes(2 * mib + 5, 3)},
      {"d", random_bytes(12 * mib + 1, 4)}, {"e", random_bytes(10, 5)},      {"f", ""},
  };
  std::vector<s3::stored_object> stored;
  for (const auto& [key, bytes] : sources) {
    const auto put = run_async(c.context, c.s3.put_object({.bucket = bucket, .key = key}, bytes));
    stored.push_back({.bucket = bucket, .key = key, .size = bytes.size(), .etag = put.etag});
  }
  std::string expected = "head";
  for (const auto& source : sources) expected += source.second;
  expected += "tail";
  const auto summary = run_async(c.context, [&]() -> awaitable<s3::upload_summary> {
    s3::multipart_upload_stream stream(c.s3, bucket, "joined.bin", {s3::min_part_size, 2, ""});
    co_await stream.write("head");
    for (const auto& source : stored) co_await stream.append_object(source);
    co_await stream.write("tail");
    co_return co_await stream.complete();
  }());
  CHECK(summary.multipart);
  CHECK(summary.bytes == expected.size());
  // Three 5 MiB parts read in (head, a, b, c and d's first bytes), d's last
  // 7 MiB copied as the fourth, e and the tail read into the fifth.
  CHECK(summary.parts == 5);
  CHECK(run_async(c.context, c.s3.get_object({.bucket = bucket, .key = "joined.bin"})) == expected);

  // An object appended to nothing is copied whole: one part, no byte read.
  const auto copied = run_async(c.context, [&]() -> awaitable<s3::upload_summary> {
    s3::multipart_upload_stream stream(c.s3, bucket, "copy-of-d.bin", {s3::min_part_size, 2, ""});
    co_await stream.append_object(stored[3]);
    co_return co_await stream.complete();
  }());
  CHECK(copied.parts == 1);
  CHECK(run_async(c.context, c.s3.get_object({.bucket = bucket, .key = "copy-of-d.bin"})) == sources[3].second);

  // A source that changed since it was listed fails the stream, which
  // leaves nothing behind. (Bytes read in are pinned by If-Match; radosgw
  // accepts a copied part whose x-amz-copy-source-if-match does not match,
  // where S3 answers 412.)
  s3::stored_object changed = stored[0];
  changed.etag = "\"00000000000000000000000000000000\"";
  try {
    run_async(c.context, [&]() -> awaitable<void> {
      s3::multipart_upload_stream stream(c.s3, bucket, "never.bin", {s3::min_part_size, 2, ""});
      co_await stream.write(sources[1].second);  // a part in flight, and 2 MiB buffered
      co_await stream.append_object(changed);
      co_await stream.complete();
    }());
    FAIL("a read pinned to another ETag succeeded");
  } catch (const s3::s3_error& error) {
    CHECK(error.status() == 412);
  }
  CHECK(run_async(c.context, c.s3.list_multipart_uploads({.bucket = bucket})).empty());
  CHECK_THROWS_AS(run_async(c.context, c.s3.get_object({.bucket = bucket, .key = "never.bin"})), s3::s3_error);
}

TEST_CASE("aborted and abandoned multipart uploads leave nothing behind", "[s3][multipart]") {
  connection c;
  const std::string bucket = c.new_bucket("multipart-abort");
  const std::string chunk = random_bytes(1024 * 1024, 7);
  run_async(c.context, [&]() -> awaitable<void> {
    s3::multipart_upload_stream stream(c.s3, bucket, "aborted.bin", {s3::min_part_size, 2, ""});
    for (int i = 0; i < 12; ++i) co_await stream.write(chunk);
    co_await stream.abort();
  }());
  CHECK(run_async(c.context, c.s3.list_multipart_uploads({.bucket = bucket})).empty());

  run_async(c.context, [&]() -> awaitable<void> {
    s3::multipart_upload_stream stream(c.s3, bucket, "abandoned.bin", {s3::min_part_size, 2, ""});
    for (int i = 0; i < 12; ++i) co_await stream.write(chunk);
    CHECK(run_async(c.context, c.s3.list_multipart_uploads({.bucket = bucket})).size() == 0 + 1);
  }());
  // The background abort runs on the same context.
  std::vector<s3::multipart_upload_info> left;
  for (int round = 0; round < 50; ++round) {
    left = run_async(c.context, c.s3.list_multipart_uploads({.bucket = bucket}));
    if (left.empty()) break;
    c.context.restart();
    c.context.run_for(std::chrono::milliseconds(100));
  }
  CHECK(left.empty());
  CHECK_THROWS_AS(run_async(c.context, c.s3.get_object({.bucket = bucket, .key = "abandoned.bin"})), s3::s3_error);
}

TEST_CASE("PutObject streamed from a file and GetObject into a file", "[s3][object]") {
  connection c;
  const std::string bucket = c.new_bucket("file-io");
  const std::string data = random_bytes(12 * 1024 * 1024 + 3, 9);
  const s3co::testing::temp_file source(data);
  run_async(c.context, c.s3.put_object({.bucket = bucket, .key = "from file.bin", .body_file = source.path()}));
  const s3co::testing::temp_file target("");
  run_async(c.context, c.s3.get_object({.bucket = bucket, .key = "from file.bin", .to_file = target.path()}));
  CHECK(std::filesystem::file_size(target.path()) == data.size());
  std::ifstream file(target.path(), std::ios::binary);
  CHECK(std::string(std::istreambuf_iterator<char>(file), {}) == data);
  run_async(c.context, c.s3.delete_object({.bucket = bucket, .key = "from file.bin"}));
  CHECK_THROWS_AS(run_async(c.context, c.s3.get_object({.bucket = bucket, .key = "from file.bin"})), s3::s3_error);
}

TEST_CASE("S3 errors are typed: missing bucket, missing key, wrong secret, If-None-Match", "[s3][errors]") {
  connection c;
  const std::string bucket = c.new_bucket("errors");
  const auto error_of = [&](awaitable<void> work) -> s3::s3_error {
    try {
      run_async(c.context, std::move(work));
    } catch (const s3::s3_error& error) {
      return error;
    }
    FAIL("expected an s3_error");
    throw;
  };
  const auto as_void = [](auto work) -> awaitable<void> { co_await std::move(work); };

  auto missing_key = error_of(as_void(c.s3.get_object({.bucket = bucket, .key = "no such key"})));
  CHECK(missing_key.code() == "NoSuchKey");
  CHECK(missing_key.status() == 404);

  auto missing_bucket = error_of(as_void(c.s3.get_object({.bucket = "s3co-no-such-bucket-" + bucket, .key = "k"})));
  CHECK(missing_bucket.code() == "NoSuchBucket");
  CHECK(missing_bucket.status() == 404);

  run_async(c.context, c.s3.put_object({.bucket = bucket, .key = "exists"}, "1"));
  auto exists =
      error_of(as_void(c.s3.put_object({.bucket = bucket, .key = "exists", .if_none_match = true}, "2")));
  CHECK(exists.status() == 412);
  CHECK(run_async(c.context, c.s3.get_object({.bucket = bucket, .key = "exists"})) == "1");

  aws::credentials wrong = c.env.credentials;
  wrong.secret_access_key = "not-the-secret-key-at-all";
  s3::client<http::client> impostor(c.transport, wrong, c.env.region, c.env.endpoint);
  auto refused = error_of(as_void(impostor.get_object({.bucket = bucket, .key = "exists"})));
  CHECK(refused.code() == "SignatureDoesNotMatch");
  CHECK(refused.status() == 403);
  CHECK_THAT(refused.what(), !Catch::Contains("not-the-secret-key-at-all"));
}

TEST_CASE("keep-alive: many requests share few connections", "[s3][http]") {
  connection c;
  const std::string bucket = c.new_bucket("keepalive");
  run_async(c.context, [&]() -> awaitable<void> {
    for (int i = 0; i < 50; ++i) co_await c.s3.put_object({.bucket = bucket, .key = "k" + std::to_string(i)}, "v");
  }());
  CHECK(c.transport.connections_opened() <= 2);
}
