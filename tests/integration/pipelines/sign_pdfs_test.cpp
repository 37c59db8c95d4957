// sign_pdfs end to end against radosgw: the manifest, fetched through its
// presigned URL, lists exactly the PDFs in listing order, and every URL in it
// fetches the object.
#include "s3co/http/client.hpp"
#include "s3co/pipelines/sign_pdfs.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>
#include <set>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <simdjson.h>

#include "support/concurrently.hpp"
#include "support/presigned_get.hpp"
#include "support/run_async.hpp"
#include "support/run_command.hpp"
#include "support/s3_server_env.hpp"
#include "support/test_bucket.hpp"
#include "support/tricky_keys.hpp"

using namespace s3co;
using boost::asio::awaitable;
using s3co::testing::request_for_url;
using s3co::testing::run_async;

namespace {

struct manifest_line {
  std::string key;
  std::string url;
};


std::vector<manifest_line> parse_manifest(const std::string& body) {
  std::vector<manifest_line> lines;
  simdjson::dom::parser parser;
  for (const auto& text : s3co::testing::lines_of(body)) {
    simdjson::dom::element line;
    INFO(text);
    REQUIRE(parser.parse(text).get(line) == simdjson::SUCCESS);
    simdjson::dom::object object;
    REQUIRE(line.get(object) == simdjson::SUCCESS);
    REQUIRE(object.size() == 2);
    std::string_view key, url;
    REQUIRE(object["key"].get(key) == simdjson::SUCCESS);
    REQUIRE(object["url"].get(url) == simdjson::SUCCESS);
    lines.push_back({std::string(key), std::string(url)});
  }
  return lines;
}

struct pipeline_fixture : s3co::testing::test_bucket {
  pipeline_fixture() : test_bucket("sign-pdfs") {}

  void seed(const std::vector<std::string>& keys) { test_bucket::seed(keys, "%PDF-1.4 ", true); }

  pipelines::sign_pdfs_result run(pipelines::sign_pdfs_config config, pipelines::sign_pdfs_options options = {}) {
    config.bucket = bucket;
    return run_async(context, pipelines::run(s3, config, options), std::chrono::seconds(300));
  }

  std::string fetch(const std::string& url) {
    http::response response = run_async(context, transport.send(request_for_url(url)));
    INFO("GET " << url.substr(0, url.find('?')) << " -> " << response.status << " " << response.body);
    REQUIRE(response.status == 200);
    return response.body;
  }

  std::vector<manifest_line> manifest_of(const pipelines::sign_pdfs_result& result) {
    return parse_manifest(fetch(result.manifest_url));
  }
};

std::vector<std::string> keys_of(const std::vector<manifest_line>& lines) {
  std::vector<std::string> keys;
  for (const auto& line : lines) keys.push_back(line.key);
  return keys;
}

}  // namespace

TEST_CASE("5,000 PDFs among 1,000 other objects and tricky keys", "[pipeline]") {
  pipeline_fixture f;
  std::set<std::string> pdfs;
  std::vector<std::string> all;
  for (int i = 0; i < 5000; ++i) {
    pdfs.insert("2026/04/doc-" + std::to_string(100000 + i) + (i % 3 == 0 ? ".PDF" : ".pdf"));
  }
  for (auto& key : s3co::testing::tricky_keys(600, 5)) {
    if (key.size() > 1000) continue;  // 1024-byte keys are the S3 tests' business
    key = "2026/04/" + key;
    if (pipelines::has_suffix_ignoring_case(key, ".pdf")) pdfs.insert(key);
    else all.push_back(key);
  }
  for (int i = 0; all.size() < 1000; ++i) all.push_back("2026/04/other-" + std::to_string(i) + (i % 2 ? ".txt" : ".pdf.bak"));
  all.push_back("2026/05/outside-the-prefix.pdf");
  all.insert(all.end(), pdfs.begin(), pdfs.end());
  f.seed(all);

  pipelines::sign_pdfs_config config;
  config.prefix = "2026/04/";
  config.concurrency = 4;
  const auto result = f.run(config);
  CHECK(result.count == pdfs.size());
  CHECK(result.errors == 0);
  CHECK(result.pages >= 7);  // 6,001 keys: 7 pages for one chain, a few more where ranges meet
  CHECK(result.list_chains >= 1);
  CHECK(result.manifest_key.starts_with("manifests/"));
  CHECK(result.manifest_key.ends_with(".jsonl"));

  const auto lines = f.manifest_of(result);
  const std::vector<std::string> expected(pdfs.begin(), pdfs.end());  // byte order = listing order
  CHECK(keys_of(lines) == expected);

  // Every URL fetches its object's bytes.
  std::atomic<std::size_t> fetched{0};
  run_async(f.context, s3co::testing::concurrently(lines.size(), 16, [&](std::size_t i) -> awaitable<void> {
    http::response response = co_await f.transport.send(request_for_url(lines[i].url));
    if (response.status != 200 || response.body != "%PDF-1.4 " + lines[i].key) {
      throw std::runtime_error("URL of " + lines[i].key + " gave " + std::to_string(response.status));
    }
    ++fetched;
  }));
  CHECK(fetched == lines.size());

  // And a sample with curl, as any user would.
  for (std::size_t i = 0; i < lines.size(); i += lines.size() / 100) {
    const auto status = s3co::testing::run_command("curl -sS -o /dev/null -w '%{http_code}' '" + lines[i].url + "'");
    CHECK(status == "200");
  }
}

TEST_CASE("page sizes 1, 10, 1000, concurrency 1, 4, 16 and list concurrency 1, 8, 64 give the same manifest",
          "[pipeline]") {
  pipeline_fixture f;
  std::vector<std::string> keys;
  for (int i = 0; i < 240; ++i) keys.push_back("set/" + std::to_string(i) + (i % 4 ? ".pdf" : ".txt"));
  std::size_t tricky_pdfs = 0;
  for (auto& key : s3co::testing::tricky_keys(60, 11)) {
    if (key.size() > 1000) continue;  // with the prefix and suffix, past S3's 1024-byte limit
    keys.push_back("set/" + key + ".pdf");
    ++tricky_pdfs;
  }
  f.seed(keys);
  std::optional<std::vector<std::string>> reference;
  for (const int page_size : {1, 10, 1000}) {
    for (const int concurrency : {1, 4, 16}) {
      for (const int list_concurrency : {1, 8, 64}) {
        if (concurrency != 4 && list_concurrency != 8) continue;  // each dimension against the default of the other
        INFO("page size " << page_size << ", concurrency " << concurrency << ", list concurrency " << list_concurrency);
        pipelines::sign_pdfs_config config;
        config.prefix = "set/";
        config.page_size = page_size;
        config.concurrency = concurrency;
        config.list_concurrency = list_concurrency;
        config.queue_size = 8;
        const auto result = f.run(config);
        const auto listed = keys_of(f.manifest_of(result));
        CHECK(result.count == listed.size());
        if (list_concurrency == 1) CHECK(result.list_chains == 1);
        if (!reference) reference = listed;
        CHECK(listed == *reference);
      }
    }
  }
  CHECK(reference->size() == 180 + tricky_pdfs);
}

TEST_CASE("shards of a job cover the prefix exactly: their manifests, one after another, are the single run's",
          "[pipeline]") {
  pipeline_fixture f;
  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i) keys.push_back("job/" + std::to_string(i % 7) + "/" + std::to_string(i) + ".pdf");
  for (auto& key : s3co::testing::tricky_keys(40, 5)) {
    if (key.size() < 1000) keys.push_back("job/" + key + ".pdf");
  }
  f.seed(keys);
  pipelines::sign_pdfs_config single;
  single.prefix = "job/";
  single.page_size = 17;
  const auto whole = keys_of(f.manifest_of(f.run(single)));
  REQUIRE(whole.size() > 300);  // (a tricky key that is not UTF-8 counts as an error)

  // Shards end just after a key (that key plus a NUL) and start after it,
  // as a plan cuts them, or end before a key named by hand.
  const std::string& cut_a = whole[whole.size() / 3];
  const std::string cut_b = whole[2 * whole.size() / 3];
  const std::vector<std::pair<std::string, std::optional<std::string>>> ranges = {
      {"", cut_a + std::string(1, '\0')}, {cut_a, cut_b}, {whole[2 * whole.size() / 3 - 1], std::nullopt}};
  std::vector<std::string> joined;
  for (int shard = 0; shard < 3; ++shard) {
    pipelines::sign_pdfs_config config = single;
    config.start_after = ranges[static_cast<std::size_t>(shard)].first;
    config.end_before = ranges[static_cast<std::size_t>(shard)].second;
    config.list_concurrency = 4;
    config.job_id = "job-1";
    config.shard = shard;
    config.shards = 3;
    const auto result = f.run(config);
    CHECK(result.manifest_key == "manifests/job-1/shard-" + std::to_string(shard) + ".jsonl");
    const auto listed = keys_of(f.manifest_of(result));
    CHECK(result.count == listed.size());
    CHECK_FALSE(listed.empty());
    joined.insert(joined.end(), listed.begin(), listed.end());
  }
  CHECK(joined == whole);

  pipelines::sign_pdfs_config named = single;
  named.job_id = "named-job";
  CHECK(f.run(named).manifest_key == "manifests/named-job.jsonl");
}

TEST_CASE("presigning on a thread pool gives the same manifest", "[pipeline]") {
  pipeline_fixture f;
  std::vector<std::string> keys;
  for (int i = 0; i < 500; ++i) keys.push_back("pool/" + std::to_string(i) + ".pdf");
  f.seed(keys);
  boost::asio::thread_pool pool(2);
  pipelines::sign_pdfs_options options;
  options.presign_executor = pool.get_executor();
  pipelines::sign_pdfs_config config;
  config.prefix = "pool/";
  config.page_size = 7;
  config.concurrency = 8;
  const auto result = f.run(config, options);
  std::sort(keys.begin(), keys.end());
  CHECK(keys_of(f.manifest_of(result)) == keys);
  pool.join();
}

TEST_CASE("a manifest larger than one part goes up as a multipart upload", "[pipeline]") {
  pipeline_fixture f;
  std::vector<std::string> keys;
  for (int i = 0; i < 30000; ++i) {
    std::string key = "big/" + std::to_string(1000000 + i) + "-";
    key.append(200 - key.size() - 4, 'n');
    keys.push_back(key + ".pdf");
  }
  f.seed(keys);
  pipelines::sign_pdfs_config config;
  config.prefix = "big/";
  const auto result = f.run(config);
  CHECK(result.count == 30000);
  CHECK(result.manifest_multipart);
  CHECK(result.manifest_bytes > 8u * 1024 * 1024);
  const auto lines = f.manifest_of(result);
  CHECK(lines.size() == 30000);
  CHECK(keys_of(lines) == keys);  // generated in byte order
  CHECK(run_async(f.context, f.s3.list_multipart_uploads({.bucket = f.bucket})).empty());
}

TEST_CASE("an empty listing gives count 0 and an empty manifest", "[pipeline]") {
  pipeline_fixture f;
  f.seed({"only/readme.txt"});
  pipelines::sign_pdfs_config config;
  config.prefix = "nothing-here/";
  const auto result = f.run(config);
  CHECK(result.count == 0);
  CHECK(result.errors == 0);
  CHECK(result.pages == 1);
  CHECK(f.fetch(result.manifest_url).empty());
}

TEST_CASE("a missing bucket fails the run and leaves nothing", "[pipeline]") {
  pipeline_fixture f;
  pipelines::sign_pdfs_config config;
  config.bucket = "s3co-missing-" + f.bucket;
  try {
    run_async(f.context, pipelines::run(f.s3, config));
    FAIL("the run succeeded");
  } catch (const s3::s3_error& error) {
    CHECK(error.code() == "NoSuchBucket");
  }
  CHECK(run_async(f.context, f.s3.list_multipart_uploads({.bucket = f.bucket})).empty());
}
