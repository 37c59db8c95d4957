// The parallel lister against radosgw: for every key distribution, at 1, 4
// and 16 chains and several page sizes, it lists exactly what one
// ListObjectsV2 chain lists, in the same order.
#include "s3co/http/client.hpp"
#include "s3co/s3/client.hpp"
#include "s3co/s3/list_objects.hpp"
#include "s3co/s3/parallel_lister.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "support/concurrently.hpp"
#include "support/run_async.hpp"
#include "support/s3_server_env.hpp"
#include "support/test_bucket.hpp"

using namespace s3co;
using boost::asio::awaitable;
using s3co::testing::run_async;

namespace {

std::string formatted(const char* format, unsigned value) {
  char text[96];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

// Each distribution under its own prefix of one bucket.
std::vector<std::string> distribution_keys() {
  std::vector<std::string> keys;
  std::mt19937 random(42);
  for (int i = 0; i < 800; ++i) keys.push_back(formatted("d/uniform/%08x.pdf", static_cast<unsigned>(random())));
  for (unsigned i = 0; i < 760; ++i) keys.push_back(formatted("d/hot/big/%05u", i));  // 95 % under one sub-prefix
  for (unsigned i = 0; i < 40; ++i) keys.push_back(formatted("d/hot/%c/x", 'a' + i % 26) + std::to_string(i));
  for (unsigned i = 0; i < 100; ++i) {
    keys.push_back(formatted("d/deep/a/%03u", i));
    keys.push_back(formatted("d/deep/a/b/c/%03u", i));
    keys.push_back(formatted("d/deep/a/b/c/d/e/f/g/%03u", i));
  }
  // Around the delimiter in byte order, and beyond ASCII.
  for (const char* first : {"!", "-", ".", "/", "0", "~", "\x7f", "é", "ÿ", "漢", "\xF0\x9F\x98\x80"}) {
    for (const char* second : {"", "a", "/", "/x", "//", "-", "~"}) keys.push_back(std::string("d/bytes/") + first + second);
  }
  // Keys that are prefixes of other keys.
  std::string nested = "d/nest/";
  for (int i = 0; i < 30; ++i) {
    nested += 'a';
    keys.push_back(nested);
    keys.push_back(nested + "/");
  }
  // Sparse: two keys with nothing between; and fewer keys than a page.
  keys.push_back("d/sparse/a1");
  keys.push_back("d/sparse/z9");
  for (const char* key : {"d/small/1", "d/small/2", "d/small/3"}) keys.push_back(key);
  return keys;
}

struct seeded_bucket : s3co::testing::test_bucket {
  seeded_bucket() : test_bucket("parallel-list") { seed(distribution_keys(), "x"); }

  std::vector<std::string> sequential(const std::string& prefix, const std::string& start_after, int page_size) {
    return run_async(context, [&]() -> awaitable<std::vector<std::string>> {
      s3::list_paginator pages(s3, {.bucket = bucket, .prefix = prefix, .start_after = start_after, .max_keys = page_size});
      std::vector<std::string> keys;
      while (auto page = co_await pages.next()) {
        for (auto& object : page->objects) keys.push_back(std::move(object.key));
      }
      co_return keys;
    }());
  }

  std::vector<std::string> parallel(const std::string& prefix, const std::string& start_after, int page_size,
                                    s3::parallel_list_options options, s3::parallel_list_stats* stats = nullptr) {
    return run_async(context, [&]() -> awaitable<std::vector<std::string>> {
      s3::parallel_lister pages(s3, {.bucket = bucket, .prefix = prefix, .start_after = start_after, .max_keys = page_size},
                                options);
      std::vector<std::string> keys;
      while (auto page = co_await pages.next()) {
        for (auto& object : page->objects) keys.push_back(std::move(object.key));
      }
      if (stats) *stats = pages.stats();
      co_return keys;
    }());
  }
};

}  // namespace

// (One test case: the bucket is seeded once.)
TEST_CASE("radosgw: the parallel listing is the sequential one, for every distribution and at random",
          "[parallel_list][radosgw]") {
  seeded_bucket b;
  for (const char* prefix : {"d/uniform/", "d/hot/", "d/deep/", "d/bytes/", "d/nest/", "d/sparse/", "d/small/",
                             "d/empty/", "d/"}) {
    for (const int page_size : {7, 100}) {
      const auto expected = b.sequential(prefix, "", page_size);
      for (const int chains : {1, 4, 16}) {
        INFO("prefix " << prefix << ", page size " << page_size << ", chains " << chains);
        s3::parallel_list_stats stats;
        CHECK(b.parallel(prefix, "", page_size, {.chains = chains}, &stats) == expected);
        if (expected.size() < static_cast<std::size_t>(page_size)) CHECK(stats.requests == 1);
        if (chains == 1) CHECK(stats.chains_started == 1);
      }
    }
  }
  const auto all = b.sequential("d/", "", 1000);
  CHECK(all.size() == distribution_keys().size());

  // Random prefixes, start points, chain counts and page sizes.
  std::mt19937 random(7);
  const std::vector<std::string> prefixes = {"d/", "d/uniform/", "d/hot/", "d/deep/a/", "d/bytes/", "d/nest/aaa"};
  for (int round = 0; round < 12; ++round) {
    const std::string prefix = prefixes[random() % prefixes.size()];
    const std::string start_after = random() % 3 == 0 ? all[random() % all.size()] : "";
    const int page_size = 1 + static_cast<int>(random() % 200);
    const int chains = 1 + static_cast<int>(random() % 16);
    INFO("prefix " << prefix << ", start after '" << start_after << "', page size " << page_size << ", chains " << chains);
    CHECK(b.parallel(prefix, start_after, page_size, {.chains = chains, .pages_per_chain = 1 + static_cast<int>(random() % 3)}) ==
          b.sequential(prefix, start_after, page_size));
  }
}
