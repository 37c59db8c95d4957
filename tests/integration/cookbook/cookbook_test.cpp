// The README's cookbook (examples/cookbook/), run against radosgw: each
// snippet does what README.md says it does. (tests/tools/check_cookbook.py
// checks that README.md shows exactly these snippets.)
#include "cookbook/channel_fan_out.hpp"
#include "cookbook/client_from_environment.hpp"
#include "cookbook/download_file.hpp"
#include "cookbook/emf_metrics.hpp"
#include "cookbook/jsonl_writer.hpp"
#include "cookbook/list_objects.hpp"
#include "cookbook/list_objects_parallel.hpp"
#include "cookbook/presign_get.hpp"
#include "cookbook/sign_pdfs_library.hpp"
#include "cookbook/upload_stream.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <sstream>

#include <boost/asio/io_context.hpp>

#include "support/presigned_get.hpp"
#include "support/run_async.hpp"
#include "support/s3_server_env.hpp"
#include "support/scoped_environment.hpp"
#include "support/temp_file.hpp"

using s3co::testing::run_async;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

// The environment a service would run in: radosgw's endpoint and keys, and
// nothing else that could change how the client is set up.
struct cookbook_environment {
  s3co::testing::s3_server_env server = s3co::testing::load_s3_server_env();
  s3co::testing::scoped_environment environment;
  cookbook_environment() {
    environment.set("AWS_ACCESS_KEY_ID", server.credentials.access_key_id)
        .set("AWS_SECRET_ACCESS_KEY", server.credentials.secret_access_key)
        .set("AWS_REGION", server.region)
        .set("AWS_ENDPOINT_URL", server.endpoint_url)
        .clear("AWS_SESSION_TOKEN")
        .clear("AWS_DEFAULT_REGION")
        .clear("S3_ENDPOINT_URL")
        .clear("AWS_ENDPOINT_URL_S3")
        .clear("AWS_PROFILE")
        .clear("AWS_CA_BUNDLE");
  }
};

struct cookbook_fixture {
  cookbook_environment environment;
  boost::asio::io_context io;
  s3co::s3::client<> s3 = make_s3_client(io);
  std::string bucket = s3co::testing::unique_bucket("cookbook");

  cookbook_fixture() { run_async(io, s3.create_bucket(bucket)); }

  void put(std::string_view key, std::string body) {
    run_async(io, s3.put_object({.bucket = bucket, .key = key}, std::move(body)));
  }

  std::pair<int, std::string> fetch(const std::string& url) {
    s3co::http::client transport(io.get_executor());
    const auto response = run_async(io, transport.send(s3co::testing::request_for_url(url)));
    return {response.status, response.body};
  }
};

}  // namespace

TEST_CASE("cookbook: a client from the environment lists, presigns, uploads and downloads", "[cookbook]") {
  cookbook_fixture c;
  c.put("2026/04/a.pdf", "%PDF a");
  c.put("2026/04/b.txt", "not a pdf");
  c.put("2026/04/sub/c.pdf", "%PDF c");
  c.put("2026/05/d.pdf", "%PDF d");

  CHECK(run_async(c.io, list_pdfs(c.s3, c.bucket)) == std::vector<std::string>{"2026/04/a.pdf", "2026/04/sub/c.pdf"});
  CHECK(run_async(c.io, count_objects(c.s3, c.bucket)) == 4);

  const auto [status, body] = c.fetch(share_link(c.s3, c.bucket, "2026/04/sub/c.pdf"));
  CHECK(status == 200);
  CHECK(body == "%PDF c");

  // Ten lines of 1 MiB: more than the stream's 8 MiB part, so they go up as
  // a multipart upload of two parts.
  std::vector<std::string> lines;
  for (char c = 'a'; c < 'a' + 10; ++c) lines.push_back(std::string(1024 * 1024 - 1, c) + "\n");
  run_async(c.io, upload_report(c.s3, c.bucket, lines));
  s3co::testing::temp_file downloaded("");
  run_async(c.io, download(c.s3, c.bucket, "reports/today.csv", downloaded.path()));
  std::string expected;
  for (const auto& line : lines) expected += line;
  CHECK(read_file(downloaded.path()) == expected);

  try {
    run_async(c.io, download(c.s3, c.bucket, "reports/missing.csv", downloaded.path()));
    FAIL("a missing key downloaded");
  } catch (const s3co::s3::s3_error& error) {
    CHECK(error.code() == "NoSuchKey");
    CHECK(error.status() == 404);
  }
}

TEST_CASE("cookbook: four consumers see every key once, and the close ends all of them", "[cookbook]") {
  std::vector<std::string> work;
  for (int i = 0; i < 1000; ++i) work.push_back("key-" + std::to_string(i));
  CHECK(run_async(fan_out(work)) == 1000);
  CHECK(run_async(fan_out({})) == 0);
}

TEST_CASE("cookbook: JSON lines land in the file, escaped", "[cookbook]") {
  s3co::testing::temp_file file("");
  run_async(write_links(file.path(), {{"a.pdf", "https://x/a"}, {"quote\".pdf", "https://x/q"}}));
  CHECK(read_file(file.path()) ==
        "{\"key\":\"a.pdf\",\"url\":\"https://x/a\"}\n{\"key\":\"quote\\\".pdf\",\"url\":\"https://x/q\"}\n");
}

TEST_CASE("cookbook: the EMF line carries the dimension and both metrics", "[cookbook]") {
  std::ostringstream out;
  s3co::telemetry::structured_log log(out);
  publish_metrics(log, 42, 812.5);
  const std::string line = out.str();
  CHECK(line.ends_with("\n"));
  CHECK(line.find("\"Namespace\":\"my-service\"") != std::string::npos);
  CHECK(line.find("\"Function\":\"thumbnails\"") != std::string::npos);
  CHECK(line.find("\"Thumbnails\":42") != std::string::npos);
  CHECK(line.find("\"DurationMs\":812.5") != std::string::npos);
}

TEST_CASE("cookbook: sign_pdfs as a library call gives a live manifest URL and its log and EMF lines",
          "[cookbook]") {
  cookbook_fixture c;
  c.put("2026/04/a.pdf", "%PDF a");
  c.put("2026/04/B.PDF", "%PDF b");
  c.put("2026/04/notes.txt", "no");
  std::ostringstream out;
  s3co::telemetry::structured_log log(out);
  const std::string manifest_url = run_async(c.io, sign_april(c.s3, c.bucket, log));
  const auto [status, manifest] = c.fetch(manifest_url);
  CHECK(status == 200);
  CHECK(std::count(manifest.begin(), manifest.end(), '\n') == 2);
  CHECK(manifest.find("\"key\":\"2026/04/B.PDF\"") != std::string::npos);
  const std::string lines = out.str();
  CHECK(lines.find("\"event\":\"complete\"") != std::string::npos);
  CHECK(lines.find("\"request_id\":\"request-1\"") != std::string::npos);
  CHECK(lines.find("\"CloudWatchMetrics\"") != std::string::npos);
}
