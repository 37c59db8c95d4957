#include "s3co/s3/parallel_lister.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <future>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "s3co/flow/timeout.hpp"
#include "support/fake_list_server.hpp"
#include "support/run_async.hpp"

using namespace s3co;
using s3co::s3::detail::key_density;
using s3co::testing::fake_list_server;
using s3co::testing::run_async;

namespace {

std::string numbered(const char* format, int i) {
  char text[64];
  std::snprintf(text, sizeof text, format, i);
  return text;
}

std::vector<std::string> numbered_keys(const char* format, int count) {
  std::vector<std::string> keys;
  for (int i = 0; i < count; ++i) keys.push_back(numbered(format, i));
  return keys;
}

std::vector<std::string_view> views(const std::vector<std::string>& keys) {
  return {keys.begin(), keys.end()};
}

// What one ListObjectsV2 chain would list: the keys with the prefix after start_after, in order.
// (With end_before: those before it.)
std::vector<std::string> expected_listing(const std::set<std::string>& keys, const std::string& prefix,
                                          const std::string& start_after = {},
                                          const std::optional<std::string>& end_before = std::nullopt) {
  std::vector<std::string> out;
  for (const auto& key : keys) {
    if (key.compare(0, prefix.size(), prefix) == 0 && key > start_after && (!end_before || key < *end_before)) {
      out.push_back(key);
    }
  }
  return out;
}

struct listing {
  std::vector<std::string> keys;
  s3::parallel_list_stats stats;
};

boost::asio::awaitable<listing> list_all(s3::client<fake_list_server>& s3, s3::list_request request,
                                         s3::parallel_list_options options) {
  s3::parallel_lister lister(s3, std::move(request), options);
  listing out;
  while (auto page = co_await lister.next()) {
    CHECK_FALSE(page->objects.empty());
    for (auto& object : page->objects) out.keys.push_back(std::move(object.key));
    // Taken while chains still run (on a thread pool, TSan checks it).
    const s3::parallel_list_stats now = lister.stats();
    CHECK(now.requests >= out.stats.requests);
    out.stats = now;
  }
  out.stats = lister.stats();
  co_return out;
}

struct fixture {
  explicit fixture(std::set<std::string> keys, std::chrono::microseconds max_delay = std::chrono::microseconds(300))
      : all(keys), server(std::move(keys), max_delay) {}
  std::set<std::string> all;
  fake_list_server server;
  s3::client<fake_list_server> s3{server, {"AKID", "secret", ""}, "us-east-1",
                                  aws::parse_endpoint_url("http://127.0.0.1:7480")};
  boost::asio::io_context context;
};

// Random keys over an alphabet that straddles '/' and UTF-8, under a few
// shared stems (so that some are prefixes of others).
std::set<std::string> random_keys(std::mt19937_64& random, std::size_t count) {
  static const std::vector<std::string> pieces = {"a", "b", "z", "0", "9", "/", "!", "-", ".", "~", "é", "漢",
                                                  "\xF0\x9F\x93\x84", "data/", "x", "X", "_"};
  std::set<std::string> keys;
  std::uniform_int_distribution<std::size_t> piece(0, pieces.size() - 1);
  std::uniform_int_distribution<int> length(1, 8);
  while (keys.size() < count) {
    std::string key = random() % 3 == 0 ? "p/" : "p/s/";
    for (int i = length(random); i > 0; --i) key += pieces[piece(random)];
    keys.insert(key);
    if (random() % 5 == 0) keys.insert(key.substr(0, key.size() - 1 > 2 ? key.size() - 1 : key.size()));
  }
  return keys;
}

}  // namespace

TEST_CASE("key_density: numbered keys move on by whole pages, the carry included", "[parallel_list]") {
  const auto page = numbered_keys("file-%06d.pdf", 1000);
  const auto density = key_density::from_page(views(page), "");
  REQUIRE(density.has_value());
  const auto ahead = density->ahead("file-000999.pdf", 3);
  REQUIRE(ahead.has_value());
  INFO(*ahead);
  CHECK(*ahead > "file-003990");
  CHECK(*ahead < "file-004010");
}

TEST_CASE("key_density: hex names, deep common prefixes and single keys still guess forwards", "[parallel_list]") {
  std::mt19937_64 random(7);
  std::vector<std::string> hex;
  for (int i = 0; i < 1000; ++i) hex.push_back(numbered("logs/2026/12/03/%08x", static_cast<int>(random() % 0x01000000)));
  std::sort(hex.begin(), hex.end());
  const auto density = key_density::from_page(views(hex), "logs/2026/12/03/");
  REQUIRE(density.has_value());
  const auto ahead = density->ahead(hex.back(), 3);
  REQUIRE(ahead.has_value());
  CHECK(*ahead > hex.back());
  CHECK(ahead->rfind("logs/2026/12/03/", 0) == 0);

  const std::vector<std::string> one = {"p/m"};
  const auto single = key_density::from_page(views(one), "p/");
  REQUIRE(single.has_value());
  const auto after_one = single->ahead("p/m", 1);
  REQUIRE(after_one.has_value());
  CHECK(*after_one > "p/m");
}

TEST_CASE("key_density: any guess is after the position, printable UTF-8", "[parallel_list]") {
  std::mt19937_64 random(11);
  for (int round = 0; round < 300; ++round) {
    const auto set = random_keys(random, 1 + random() % 60);
    std::vector<std::string> keys(set.begin(), set.end());
    const auto density = key_density::from_page(views(keys), "p/");
    if (!density) continue;
    for (const double pages : {0.5, 1.0, 3.0, 1000.0}) {
      const auto ahead = density->ahead(keys.back(), pages);
      if (!ahead) continue;
      INFO(*ahead);
      CHECK(*ahead > keys.back());
      for (const char c : *ahead) CHECK(static_cast<unsigned char>(c) >= 0x20);
    }
  }
}

TEST_CASE("parallel listing equals one chain's listing, for every chain count and page size", "[parallel_list]") {
  std::set<std::string> keys;
  for (const auto& key : numbered_keys("in/uniform-%05d.pdf", 3000)) keys.insert(key);
  for (const auto& key : numbered_keys("in/hot/%05d", 4000)) keys.insert(key);  // most keys under one sub-prefix
  for (const auto& key : numbered_keys("in/a/b/c/d/e/%03d", 150)) keys.insert(key);
  for (const char* key : {"in/", "in/!", "in/-", "in/.", "in//", "in/0", "in/~", "in/é", "in/\x7f", "in/漢",
                          "in/\xF0\x9F\x93\x84", "in/a", "in/a/", "in/ab", "out/x", "im", "io"}) {
    keys.insert(key);
  }
  const auto expected = expected_listing(keys, "in/");
  for (const int chains : {1, 2, 4, 16}) {
    for (const int page_size : {1, 7, 100, 1000}) {
      if (page_size == 1 && chains > 4) continue;  // 7,000 requests each: the point is made at 1..4
      fixture f(keys, std::chrono::microseconds(200));
      INFO("chains " << chains << ", page size " << page_size);
      const auto got = run_async(f.context, list_all(f.s3, {.bucket = "b", .prefix = "in/", .max_keys = page_size},
                                                    {.chains = chains}));
      CHECK(got.keys == expected);
      CHECK(f.server.max_in_flight() <= chains);
      if (chains == 1) CHECK(got.stats.chains_started == 1);
      if (chains >= 4 && page_size <= 100) CHECK(f.server.max_in_flight() > 1);
    }
  }
}

TEST_CASE("random key sets, chain counts and page sizes all list exactly", "[parallel_list]") {
  std::mt19937_64 random(2026);
  for (int round = 0; round < 40; ++round) {
    const auto keys = random_keys(random, 1 + random() % 2500);
    const int chains = 1 + static_cast<int>(random() % 16);
    const int page_size = 1 + static_cast<int>(random() % 300);
    const int pages_per_chain = 1 + static_cast<int>(random() % 3);
    const std::string prefix = random() % 2 ? "p/" : "p/s/";
    const std::string start_after = random() % 4 == 0 ? *std::next(keys.begin(), static_cast<long>(random() % keys.size())) : "";
    fixture f(keys, std::chrono::microseconds(100));
    INFO("round " << round << ": " << keys.size() << " keys, chains " << chains << ", page size " << page_size
                  << ", prefix " << prefix << ", start after '" << start_after << "'");
    const auto got = run_async(
        f.context, list_all(f.s3, {.bucket = "b", .prefix = prefix, .start_after = start_after, .max_keys = page_size},
                            {.chains = chains, .pages_per_chain = pages_per_chain}));
    CHECK(got.keys == expected_listing(keys, prefix, start_after));
  }
}

// Keys in folders of folders, with the names that sit next to a folder in
// byte order: an object named like the folder ("d3/"), the folder's name
// alone ("d3"), and names a byte before or after the delimiter ("d3!x",
// "d3.x", "d30/...").
std::set<std::string> foldered_keys(std::mt19937_64& random, std::size_t count) {
  static const std::vector<std::string> tails = {"", "!x", ".x", "-x", "0/", "/", "~", "é/"};
  std::set<std::string> keys;
  while (keys.size() < count) {
    std::string key = "p/d" + std::to_string(random() % 6) + tails[random() % tails.size()];
    if (key.back() == '/' && random() % 4 != 0) {
      key += "m" + std::to_string(random() % 5) + tails[random() % tails.size()];
      if (key.back() == '/' && random() % 3 != 0) key += "f-" + std::to_string(random() % 100000);
    }
    keys.insert(key);
  }
  return keys;
}

TEST_CASE("folders probed for their groups list exactly, the names around each folder included", "[parallel_list]") {
  std::mt19937_64 random(4);
  std::size_t probes = 0;
  for (int round = 0; round < 60; ++round) {
    const auto keys = foldered_keys(random, 200 + random() % 3000);
    const int chains = 2 + static_cast<int>(random() % 15);
    const int page_size = 5 + static_cast<int>(random() % 200);
    fixture f(keys, std::chrono::microseconds(100));
    INFO("round " << round << ": " << keys.size() << " keys, chains " << chains << ", page size " << page_size);
    const auto got = run_async(f.context, list_all(f.s3, {.bucket = "b", .prefix = "p/", .max_keys = page_size},
                                                   {.chains = chains}));
    CHECK(got.keys == expected_listing(keys, "p/"));
    probes += got.stats.probes;
  }
  CHECK(probes > 0);  // (the folders were probed at all)
}

TEST_CASE("a listing that ends before a key holds exactly the keys before it, at any chain count", "[parallel_list]") {
  std::mt19937_64 random(11);
  for (int round = 0; round < 40; ++round) {
    const auto keys = random() % 2 ? random_keys(random, 1 + random() % 2000) : foldered_keys(random, 1 + random() % 2000);
    const auto key_at = [&](std::size_t i) { return *std::next(keys.begin(), static_cast<long>(i % keys.size())); };
    const std::string start_after = random() % 2 ? key_at(random()) : "";
    // A key, a key and a NUL (the smallest string after it), or a key's stem.
    std::string end_before = key_at(random());
    if (random() % 3 == 0) end_before.push_back('\0');
    if (random() % 3 == 0) end_before.resize(end_before.size() / 2 + 1);
    if (end_before <= start_after) continue;
    const int chains = 1 + static_cast<int>(random() % 16);
    const int page_size = 1 + static_cast<int>(random() % 200);
    fixture f(keys, std::chrono::microseconds(100));
    INFO("round " << round << ": " << keys.size() << " keys, chains " << chains << ", page size " << page_size
                  << ", after '" << start_after << "', before '" << end_before << "'");
    const auto got = run_async(
        f.context, list_all(f.s3, {.bucket = "b", .prefix = "p/", .start_after = start_after, .max_keys = page_size},
                            {.chains = chains, .end_before = end_before}));
    CHECK(got.keys == expected_listing(keys, "p/", start_after, end_before));
  }
}

TEST_CASE("a listing that ends early asks for no page far past its end", "[parallel_list]") {
  fixture f([] {
    const auto keys = numbered_keys("p/k%06d", 20000);
    return std::set<std::string>(keys.begin(), keys.end());
  }());
  const auto got = run_async(f.context, list_all(f.s3, {.bucket = "b", .prefix = "p/", .max_keys = 100},
                                                 {.chains = 8, .end_before = "p/k002000"}));
  REQUIRE(got.keys.size() == 2000);
  CHECK(got.keys.back() == "p/k001999");
  // 20 pages hold the keys; windows never reach past the end, so at most a
  // few pages per chain are spent on guesses.
  CHECK(got.stats.requests <= 60);
  CHECK(got.stats.keys_dropped <= 800);
}

TEST_CASE("dated keys: the lister finds the years and months instead of guessing across them", "[parallel_list]") {
  // YYYY/MM/invoice-N with N spread over every month: one page shows one
  // month, whose numbers say nothing of where the next month starts.
  std::set<std::string> keys;
  for (int i = 0; i < 30000; ++i) {
    char key[64];
    std::snprintf(key, sizeof key, "%04d/%02d/invoice-%08d.pdf", 2020 + i % 7, 1 + (i / 7) % 12, i);
    keys.insert(key);
  }
  for (const int chains : {4, 16}) {
    fixture f(keys, std::chrono::microseconds(200));
    const auto got = run_async(f.context, list_all(f.s3, {.bucket = "b", .max_keys = 100}, {.chains = chains}));
    INFO(chains << " chains: " << got.stats.requests << " requests, " << got.stats.probes << " probes, "
                << got.stats.empty_ranges << " empty ranges of " << got.stats.chains_started << ", "
                << got.stats.keys_dropped << " keys dropped");
    CHECK(got.keys == expected_listing(keys, ""));
    CHECK(got.stats.probes >= 2);  // the years, then a year's months
    // One chain needs 300 requests. Guesses across months cost more than
    // twice that (and dropped most keys once) before the probes.
    CHECK(got.stats.requests <= 2 * 300);
    CHECK(got.stats.keys_dropped <= keys.size() / 4);
  }
}

TEST_CASE("a listing smaller than a page costs one request; an empty one too", "[parallel_list]") {
  fixture f({"in/a.pdf", "in/b.pdf", "other"});
  const auto small = run_async(f.context, list_all(f.s3, {.bucket = "b", .prefix = "in/"}, {.chains = 16}));
  CHECK(small.keys == std::vector<std::string>{"in/a.pdf", "in/b.pdf"});
  CHECK(f.server.requests() == 1);
  const auto none = run_async(f.context, list_all(f.s3, {.bucket = "b", .prefix = "nothing/"}, {.chains = 16}));
  CHECK(none.keys.empty());
  CHECK(f.server.requests() == 2);
}

TEST_CASE("a failed request fails the listing with its error, and stops every chain", "[parallel_list]") {
  std::set<std::string> keys;
  for (const auto& key : numbered_keys("k/%06d", 20000)) keys.insert(key);
  for (const std::size_t failing : {1, 2, 5, 12}) {
    fixture f(keys);
    f.server.fail_request = [failing](std::size_t number) { return number == failing; };
    INFO("request " << failing << " fails");
    auto work = [&]() -> boost::asio::awaitable<std::string> {
      s3::parallel_lister lister(f.s3, {.bucket = "b", .prefix = "k/", .max_keys = 100}, {.chains = 8});
      std::string error;
      try {
        while (co_await lister.next()) {
        }
      } catch (const s3::s3_error& e) {
        error = e.what();
      }
      // Failed for good: the next call says so again.
      try {
        co_await lister.next();
        error += " / but a later next() returned";
      } catch (const s3::s3_error&) {
      }
      co_return error;
    };
    const std::string error = run_async(f.context, work());
    CHECK_THAT(error, Catch::Contains("InternalError"));
    CHECK(f.server.in_flight() == 0);
  }
}

TEST_CASE("a cancelled next() stops every chain", "[parallel_list]") {
  std::set<std::string> keys;
  for (const auto& key : numbered_keys("k/%06d", 20000)) keys.insert(key);
  fixture f(keys);
  f.server.stall_request = [](std::size_t number) { return number >= 4; };
  auto work = [&]() -> boost::asio::awaitable<bool> {
    s3::parallel_lister lister(f.s3, {.bucket = "b", .prefix = "k/", .max_keys = 100}, {.chains = 8});
    try {
      for (;;) {
        if (!co_await flow::with_timeout(lister.next(), std::chrono::milliseconds(300))) co_return false;
      }
    } catch (const flow::timeout_error&) {
    }
    co_await lister.stop();
    co_return true;
  };
  CHECK(run_async(f.context, work()));
  CHECK(f.server.in_flight() == 0);
}

// A cancellation that races a page on its way to next() once freed the
// cancellation's own state before it ran (Boost 1.81's co_spawn across
// executors); ASan builds see any such use after free.
TEST_CASE("next() cancelled at random moments: the keys so far are the listing's start, no chain left", "[parallel_list]") {
  std::set<std::string> keys;
  for (const auto& key : numbered_keys("k/%05d", 3000)) keys.insert(key);
  const auto expected = expected_listing(keys, "k/");
  fixture f(keys, std::chrono::microseconds(200));
  std::mt19937 random(Catch::rngSeed());
  int cancelled = 0;
  for (int round = 0; round < 300; ++round) {
    const int chains = 1 + static_cast<int>(random() % 8);
    const auto patience = std::chrono::microseconds(random() % 1500);
    INFO("round " << round << ", chains " << chains << ", patience " << patience.count() << " us");
    auto work = [&]() -> boost::asio::awaitable<std::vector<std::string>> {
      s3::parallel_lister lister(f.s3, {.bucket = "b", .prefix = "k/", .max_keys = 100}, {.chains = chains});
      std::vector<std::string> listed;
      try {
        for (;;) {
          auto page = co_await flow::with_timeout(lister.next(), patience);
          if (!page) break;
          for (auto& object : page->objects) listed.push_back(std::move(object.key));
        }
      } catch (const flow::timeout_error&) {
        ++cancelled;
      }
      co_await lister.stop();
      co_return listed;
    };
    const auto listed = run_async(f.context, work());
    REQUIRE(listed.size() <= expected.size());
    CHECK(std::equal(listed.begin(), listed.end(), expected.begin()));
    CHECK(f.server.in_flight() == 0);
  }
  CHECK(cancelled > 0);
}

TEST_CASE("chains ahead of a slow consumer wait: memory stays bounded", "[parallel_list]") {
  std::set<std::string> keys;
  for (const auto& key : numbered_keys("k/%06d", 50000)) keys.insert(key);
  fixture f(keys, std::chrono::microseconds(0));
  const int chains = 8;
  const int pages_per_chain = 2;
  const std::size_t page_size = 100;
  auto work = [&]() -> boost::asio::awaitable<std::size_t> {
    s3::parallel_lister lister(f.s3, {.bucket = "b", .prefix = "k/", .max_keys = static_cast<int>(page_size)},
                               {.chains = chains, .pages_per_chain = pages_per_chain});
    std::size_t consumed = 0;
    std::size_t worst_buffered = 0;
    boost::asio::steady_timer pause(co_await boost::asio::this_coro::executor);
    for (int pages = 1; auto page = co_await lister.next(); ++pages) {
      consumed += page->objects.size();
      if (pages % 40 == 0) {
        pause.expires_after(std::chrono::milliseconds(20));  // all the chains can do, they do now
        co_await pause.async_wait(boost::asio::use_awaitable);
        CHECK(f.server.in_flight() == 0);  // they wait, rather than list on
        worst_buffered = std::max(worst_buffered, f.server.keys_answered() - consumed - lister.stats().keys_dropped);
      }
    }
    CHECK(worst_buffered > 0);
    CHECK(worst_buffered <= 3 * chains * (pages_per_chain + 1) * page_size);  // the bound its header states
    co_return consumed;
  };
  CHECK(run_async(f.context, work()) == 50000);
}

TEST_CASE("a lister on a multi-threaded io_context lists exactly", "[parallel_list]") {
  std::set<std::string> keys;
  for (const auto& key : numbered_keys("k/%06d", 20000)) keys.insert(key);
  fake_list_server server(keys, std::chrono::microseconds(200));
  s3::client<fake_list_server> s3(server, {"AKID", "secret", ""}, "us-east-1",
                                  aws::parse_endpoint_url("http://127.0.0.1:7480"));
  boost::asio::thread_pool pool(4);
  std::promise<std::vector<std::string>> result;
  boost::asio::co_spawn(
      pool,
      [&]() -> boost::asio::awaitable<std::vector<std::string>> {
        // (A named request: g++ 12 destroys a braced temporary inside co_await twice.)
        s3::list_request request{.bucket = "b", .prefix = "k/", .max_keys = 50};
        co_return (co_await list_all(s3, std::move(request), {.chains = 16})).keys;
      },
      [&](std::exception_ptr error, std::vector<std::string> keys_listed) {
        if (error) result.set_exception(error);
        else result.set_value(std::move(keys_listed));
      });
  auto listed = result.get_future();
  REQUIRE(listed.wait_for(std::chrono::seconds(120)) == std::future_status::ready);
  CHECK(listed.get() == expected_listing(keys, "k/"));
  pool.join();
}

TEST_CASE("options and requests the lister cannot serve are refused by name", "[parallel_list]") {
  fixture f({});
  CHECK_THROWS_WITH(s3::parallel_lister(f.s3, {.bucket = "b"}, {.chains = 0}), Catch::StartsWith("chains:"));
  CHECK_THROWS_WITH(s3::parallel_lister(f.s3, {.bucket = "b"}, {.chains = 65}), Catch::StartsWith("chains:"));
  CHECK_THROWS_WITH(s3::parallel_lister(f.s3, {.bucket = "b"}, {.pages_per_chain = 0}),
                    Catch::StartsWith("pages_per_chain:"));
  CHECK_THROWS_WITH(s3::parallel_lister(f.s3, {.bucket = "b", .delimiter = "/"}), Catch::StartsWith("delimiter:"));
  CHECK_THROWS_WITH(s3::parallel_lister(f.s3, {.bucket = ""}), Catch::StartsWith("bucket:"));
  CHECK_THROWS_WITH(s3::parallel_lister(f.s3, {.bucket = "b", .start_after = "p/k"}, {.end_before = "p/k"}),
                    Catch::StartsWith("end_before:"));
}
