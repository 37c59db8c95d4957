#include "s3co/pipelines/sign_pdfs_jobs.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <simdjson.h>

#include "support/fake_list_server.hpp"
#include "support/run_async.hpp"
#include "support/scoped_environment.hpp"

using namespace s3co;
using s3co::testing::fake_list_server;
using s3co::testing::run_async;

namespace {

std::vector<std::string> numbered_keys(const char* format, std::uint64_t count) {
  std::vector<std::string> keys;
  char text[64];
  for (std::uint64_t i = 0; i < count; ++i) {
    std::snprintf(text, sizeof text, format, static_cast<unsigned long long>(i));
    keys.emplace_back(text);
  }
  return keys;
}

// How many of the sorted `keys` each shard's range (start_after, end_before) holds.
std::vector<std::uint64_t> range_sizes(const std::vector<std::string>& keys,
                                       const std::vector<pipelines::sign_pdfs_config>& shards) {
  std::vector<std::uint64_t> sizes;
  for (const auto& shard : shards) {
    std::uint64_t size = 0;
    for (const auto& key : keys) {
      if (key > shard.start_after && (!shard.end_before || key < *shard.end_before)) ++size;
    }
    sizes.push_back(size);
  }
  return sizes;
}

pipelines::sign_pdfs_config job_of(int shards) {
  pipelines::sign_pdfs_config job;
  job.bucket = "b-1";
  job.job_id = "job-1";
  job.plan = shards;
  return job;
}

struct fake_bucket {
  explicit fake_bucket(std::set<std::string> keys) : server(std::move(keys), std::chrono::microseconds(200)) {}
  fake_list_server server;
  s3::client<fake_list_server> s3{server, {"AKID", "secret", ""}, "us-east-1",
                                  aws::parse_endpoint_url("http://127.0.0.1:7480")};
  boost::asio::io_context context;

  std::vector<std::string> listing(const pipelines::sign_pdfs_config& config) {
    return run_async(context, [&]() -> boost::asio::awaitable<std::vector<std::string>> {
      s3::parallel_lister pages(s3, {.bucket = config.bucket, .prefix = config.prefix, .start_after = config.start_after},
                                {.chains = 3, .end_before = config.end_before});
      std::vector<std::string> keys;
      while (auto page = co_await pages.next()) {
        for (auto& object : page->objects) keys.push_back(std::move(object.key));
      }
      co_return keys;
    }());
  }
};

}  // namespace

TEST_CASE("a plan's sample cuts a listing into ranges within 1/8 of a shard of equal", "[jobs]") {
  for (const std::uint64_t count : {0ull, 1ull, 5ull, 999ull, 1024ull, 1025ull, 20'000ull, 100'003ull}) {
    const auto keys = numbered_keys("k/%08llu", count);
    for (const int shards : {1, 2, 3, 8, 100}) {
      CAPTURE(count, shards);
      pipelines::detail::range_sampler sampler(pipelines::detail::plan_sample_capacity(shards));
      for (const auto& key : keys) sampler.add(key);
      CHECK(sampler.count() == count);
      // Memory: the sample never holds more than its capacity.
      CHECK(count / sampler.stride() <= pipelines::detail::plan_sample_capacity(shards));
      const auto configs = pipelines::detail::shard_configs(job_of(shards), sampler.cuts(shards));
      REQUIRE(configs.size() == static_cast<std::size_t>(shards));
      const auto sizes = range_sizes(keys, configs);
      std::uint64_t total = 0;
      const double ideal = static_cast<double>(count) / shards;
      for (const auto size : sizes) {
        total += size;
        CHECK(std::abs(static_cast<double>(size) - ideal) <= ideal / 8 + 1);
      }
      CHECK(total == count);
    }
  }
}

TEST_CASE("shards tile the job's range: each starts after the key the one before ends at", "[jobs]") {
  auto job = job_of(4);
  job.prefix = "docs/";
  job.start_after = "docs/a";
  job.end_before = "docs/z";
  job.list_concurrency = 5;
  const std::vector<std::string> cuts = {"docs/c", "docs/c", "docs/q"};
  const auto shards = pipelines::detail::shard_configs(job, cuts);
  REQUIRE(shards.size() == 4);
  CHECK(shards[0].start_after == "docs/a");
  CHECK(shards[0].end_before == std::string("docs/c\0", 7));
  CHECK(shards[1].start_after == "docs/c");  // (docs/c, docs/c + NUL): empty
  CHECK(shards[1].end_before == std::string("docs/c\0", 7));
  CHECK(shards[2].start_after == "docs/c");
  CHECK(shards[3].start_after == "docs/q");
  CHECK(shards[3].end_before == "docs/z");
  for (int i = 0; i < 4; ++i) {
    const auto& shard = shards[static_cast<std::size_t>(i)];
    CHECK(shard.shard == i);
    CHECK(shard.shards == 4);
    CHECK(shard.plan == 0);
    CHECK(shard.job_id == "job-1");
    CHECK(shard.prefix == "docs/");
    CHECK(shard.list_concurrency == 5);
    CHECK_NOTHROW(pipelines::validate(shard));
  }
  // No key seen: every shard but the last is empty, the last holds the whole range.
  const auto empty = pipelines::detail::shard_configs(job, {});
  CHECK(empty[2].end_before == std::string("docs/a\0", 7));
  CHECK(empty[3].start_after == "docs/a");
  CHECK(empty[3].end_before == "docs/z");
}

TEST_CASE("a shard event reads back as the config it was written from", "[jobs]") {
  s3co::testing::scoped_environment env;
  for (const char* name : {"BUCKET_NAME", "PREFIX", "URL_EXPIRY_SECONDS", "QUEUE_MAX"}) env.set(name, "9");
  pipelines::sign_pdfs_config config;
  config.bucket = "b-1";
  config.prefix = "dé\"j\\à/\n";
  config.expiry = std::chrono::seconds(77);
  config.page_size = 17;
  config.concurrency = 3;
  config.list_concurrency = 9;
  config.queue_size = 123;
  config.suffix = ".PDF";
  config.manifest_prefix = "out/";
  config.request_timeout = std::chrono::seconds(12);
  config.deadline = std::chrono::seconds(600);
  config.start_after = "dé\"j\\à/\n1";
  config.end_before = std::string("dé\"j\\à/\n9\0", 13);
  config.job_id = "J.1";
  config.shard = 2;
  config.shards = 5;
  const std::string event = pipelines::to_event_json(config);
  CHECK(event.find('\0') == std::string::npos);
  const auto back = pipelines::load_sign_pdfs_config(event);
  CHECK(back.bucket == config.bucket);
  CHECK(back.prefix == config.prefix);
  CHECK(back.expiry == config.expiry);
  CHECK(back.page_size == config.page_size);
  CHECK(back.concurrency == config.concurrency);
  CHECK(back.list_concurrency == config.list_concurrency);
  CHECK(back.queue_size == config.queue_size);
  CHECK(back.suffix == config.suffix);
  CHECK(back.manifest_prefix == config.manifest_prefix);
  CHECK(back.request_timeout == config.request_timeout);
  CHECK(back.deadline == config.deadline);
  CHECK(back.start_after == config.start_after);
  CHECK(back.end_before == config.end_before);
  CHECK(back.job_id == config.job_id);
  CHECK(back.shard == config.shard);
  CHECK(back.shards == config.shards);
  CHECK(back.plan == 0);
  // The environment does not leak into an event that says everything.
  pipelines::sign_pdfs_config plain;
  plain.bucket = "b-2";
  CHECK(pipelines::load_sign_pdfs_config(pipelines::to_event_json(plain)).queue_size == plain.queue_size);
}

TEST_CASE("plan lists a bucket once and its shards list it exactly, in order", "[jobs]") {
  std::mt19937_64 random(11);
  std::set<std::string> keys;
  for (const auto& key : numbered_keys("scan/%05llu.pdf", 12'000)) keys.insert(key);
  for (int i = 0; i < 3000; ++i) keys.insert("scan/" + std::to_string(random() % 100000) + "/x~" + std::to_string(i));
  keys.insert("other/a.pdf");
  fake_bucket bucket(keys);
  auto job = job_of(7);
  job.prefix = "scan/";
  job.list_concurrency = 4;
  job.page_size = 200;
  const auto planned = run_async(bucket.context, pipelines::plan(bucket.s3, job));
  CHECK(planned.job_id == "job-1");
  CHECK(planned.keys_listed == keys.size() - 1);
  REQUIRE(planned.shards.size() == 7);
  const auto whole = bucket.listing(job);
  std::vector<std::string> joined;
  for (const auto& shard : planned.shards) {
    const auto part = bucket.listing(shard);
    const double ideal = static_cast<double>(whole.size()) / 7;
    CHECK(std::abs(static_cast<double>(part.size()) - ideal) <= ideal / 8 + 1);
    joined.insert(joined.end(), part.begin(), part.end());
  }
  CHECK(joined == whole);

  // More shards than keys: the spare ones are empty, and still tile.
  fake_bucket few({"p/1", "p/2", "p/3"});
  auto small = job_of(8);
  small.prefix = "p/";
  const auto spare = run_async(few.context, pipelines::plan(few.s3, small));
  REQUIRE(spare.shards.size() == 8);
  std::vector<std::string> all_of_few;
  int empty = 0;
  for (const auto& shard : spare.shards) {
    const auto part = few.listing(shard);
    empty += part.empty() ? 1 : 0;
    all_of_few.insert(all_of_few.end(), part.begin(), part.end());
  }
  CHECK(all_of_few == std::vector<std::string>{"p/1", "p/2", "p/3"});
  CHECK(empty == 5);

  // The handler's body: the job and its events, as a Map state's items.
  simdjson::dom::parser parser;
  simdjson::dom::object body;
  REQUIRE_FALSE(parser.parse(pipelines::to_json(spare)).get(body));
  CHECK(std::string_view(body["job_id"].get_string().value()) == "job-1");
  CHECK(body["shards"].get_array().value().size() == 8);
  CHECK(int64_t(body["keys_listed"].get_int64().value()) == 3);
  simdjson::dom::element third = body["shards"].at(2).value();
  CHECK(int64_t(third["shard"].get_int64().value()) == 2);
  CHECK(std::string_view(third["job_id"].get_string().value()) == "job-1");

  // A job without an id gets one; a listing that fails fails the plan.
  auto unnamed = small;
  unnamed.job_id.clear();
  CHECK(run_async(few.context, pipelines::plan(few.s3, unnamed)).job_id.size() == 36);
  few.server.fail_request = [](std::size_t) { return true; };
  CHECK_THROWS_AS(run_async(few.context, pipelines::plan(few.s3, small)), s3::s3_error);
}

TEST_CASE("combine requires every shard done, and names the first that is not", "[jobs]") {
  using pipelines::detail::shard_record;
  auto config = job_of(0);
  config.job_id.clear();
  config.combine = "J";
  const auto done = [](int shards, std::uint64_t bytes) {
    shard_record record;
    record.manifest = s3::object_summary{.key = "m", .size = bytes, .etag = "\"e\""};
    record.result_key = "r";
    record.result.manifest_bytes = bytes;
    record.shards = shards;
    return record;
  };
  const auto blamed_shard = [&](std::map<int, shard_record> listed) {
    try {
      pipelines::detail::complete_shards(std::move(listed), config);
    } catch (const pipelines::incomplete_job& error) {
      CHECK(error.job_id() == "J");
      return error.shard();
    }
    return -2;  // accepted
  };
  CHECK(blamed_shard({{0, done(3, 10)}, {1, done(3, 0)}, {2, done(3, 7)}}) == -2);
  CHECK(pipelines::detail::complete_shards({{0, done(2, 1)}, {1, done(2, 2)}}, config)[1].manifest->size == 2);
  CHECK(blamed_shard({}) == -1);
  CHECK(blamed_shard({{0, done(3, 10)}, {2, done(3, 7)}}) == 1);
  shard_record unfinished = done(3, 5);
  unfinished.result_key.reset();
  unfinished.shards = 0;
  CHECK(blamed_shard({{0, done(3, 10)}, {1, unfinished}, {2, done(3, 7)}}) == 1);
  shard_record no_manifest = done(3, 5);
  no_manifest.manifest.reset();
  CHECK(blamed_shard({{0, no_manifest}, {1, done(3, 1)}, {2, done(3, 7)}}) == 0);
  shard_record rewritten = done(3, 5);
  rewritten.manifest->size = 6;
  CHECK(blamed_shard({{0, done(3, 1)}, {1, done(3, 1)}, {2, rewritten}}) == 2);
  CHECK(blamed_shard({{0, done(2, 1)}, {1, done(3, 1)}}) == 1);  // two plans under one job
  CHECK(blamed_shard({{0, done(2, 1)}, {1, done(2, 1)}, {5, done(2, 1)}}) == 5);

  try {
    pipelines::detail::complete_shards({{0, done(2, 1)}}, config);
    FAIL("accepted a job with a shard missing");
  } catch (const pipelines::incomplete_job& error) {
    CHECK(std::string(error.what()).find("manifests/J/shard-1.json") != std::string::npos);
  }

  CHECK(pipelines::detail::shard_number("shard-12.jsonl", ".jsonl") == 12);
  CHECK(pipelines::detail::shard_number("shard-0.json", ".json") == 0);
  CHECK(pipelines::detail::shard_number("shard-12.jsonl", ".json") == -1);
  CHECK(pipelines::detail::shard_number("shard-012.json", ".json") == -1);
  CHECK(pipelines::detail::shard_number("shard-.json", ".json") == -1);
  CHECK(pipelines::detail::shard_number("shard-10000.json", ".json") == -1);
  CHECK(pipelines::detail::shard_number("shard-1x.json", ".json") == -1);
  CHECK(pipelines::detail::shard_number("notes.txt", ".json") == -1);
}
