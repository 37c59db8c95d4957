// The sign_pdfs program as scripts and users run it (DESIGN.md's
// command-line contract): result JSON on stdout, logs and EMF on stderr,
// exit 0 / 2 (bad input, field named) / 1 (failed run, nothing left in S3).
#include "s3co/http/client.hpp"
#include "s3co/s3/client.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <simdjson.h>

#include "support/concurrently.hpp"
#include "support/json_fields.hpp"
#include "support/run_async.hpp"
#include "support/run_command.hpp"
#include "support/sign_pdfs_program.hpp"
#include "support/s3_server_env.hpp"
#include "support/temp_file.hpp"

using namespace s3co;
using s3co::testing::number_field;
using s3co::testing::parse_object;
using s3co::testing::run_async;
using s3co::testing::run_sign_pdfs;
using s3co::testing::shell_quote;
using s3co::testing::string_field;

namespace {

struct cli_fixture {
  s3co::testing::s3_server_env env = s3co::testing::load_s3_server_env();
  boost::asio::io_context context;
  http::client transport{context.get_executor()};
  s3::client<http::client> s3{transport, env.credentials, env.region, env.endpoint};
  std::string bucket = s3co::testing::unique_bucket("sign-pdfs-cli");

  cli_fixture() { run_async(context, s3.create_bucket(bucket)); }
};

}  // namespace

TEST_CASE("sign_pdfs prints the result, one complete log line and one EMF line", "[pipeline][cli]") {
  cli_fixture f;
  const std::vector<std::string> keys = {"in/a.pdf", "in/b.PDF", "in/c.txt", "in/d e.pdf", "out/f.pdf"};
  run_async(f.context, s3co::testing::concurrently(keys.size(), 8, [&](std::size_t i) -> boost::asio::awaitable<void> {
    co_await f.s3.put_object({.bucket = f.bucket, .key = keys[i]}, "%PDF " + keys[i]);
  }));

  const auto run = run_sign_pdfs("--bucket " + f.bucket + " --prefix in/ --page-size 2 --expiry-seconds 600");
  INFO("stderr:\n" << run.err);
  REQUIRE(run.exit_status == 0);

  simdjson::dom::parser parser;
  const auto lines = s3co::testing::lines_of(run.out);
  REQUIRE(lines.size() == 1);
  const auto result = parse_object(parser, lines[0]);
  CHECK(number_field(result, "count") == 3);
  CHECK(number_field(result, "errors") == 0);
  CHECK(number_field(result, "pages") == 2);
  CHECK(string_field(result, "manifest_key").starts_with("manifests/"));
  const std::string manifest_url = string_field(result, "manifest_url");
  CHECK(manifest_url.find("X-Amz-Expires=600&") != std::string::npos);
  const auto duration_ms = number_field(result, "duration_ms");

  const std::string manifest = s3co::testing::run_command("curl -sS --fail " + shell_quote(manifest_url));
  CHECK(s3co::testing::lines_of(manifest).size() == 3);

  // stderr: start and complete log lines, then the EMF line; all JSON.
  simdjson::dom::parser log_parser;
  std::string request_id;
  bool saw_complete = false;
  bool saw_emf = false;
  for (const auto& line : s3co::testing::lines_of(run.err)) {
    const auto object = parse_object(log_parser, line);
    if (object["_aws"].error() == simdjson::SUCCESS) {
      saw_emf = true;
      simdjson::dom::object aws = object["_aws"].get_object();
      CHECK(aws["Timestamp"].get_uint64().value() > 1'700'000'000'000ull);
      simdjson::dom::array directives = aws["CloudWatchMetrics"].get_array();
      REQUIRE(directives.size() == 1);
      simdjson::dom::object directive = directives.at(0).get_object();
      CHECK(string_field(directive, "Namespace") == "s3co/sign_pdfs");
      simdjson::dom::array dimension_sets = directive["Dimensions"].get_array();
      REQUIRE(dimension_sets.size() == 1);
      simdjson::dom::array dimensions = dimension_sets.at(0).get_array();
      REQUIRE(dimensions.size() == 1);
      CHECK(dimensions.at(0).get_string().value() == "Function");
      CHECK(string_field(object, "Function") == "sign_pdfs");
      std::map<std::string, std::string> units;
      for (simdjson::dom::element metric : directive["Metrics"].get_array()) {
        units[string_field(metric.get_object(), "Name")] = string_field(metric.get_object(), "Unit");
      }
      CHECK(units == std::map<std::string, std::string>{{"PDFsProcessed", "Count"},
                                                        {"S3ListPages", "Count"},
                                                        {"PresignCount", "Count"},
                                                        {"ManifestBytes", "Bytes"},
                                                        {"ResponseBytes", "Bytes"},
                                                        {"S3ListResponseBytes", "Bytes"},
                                                        {"DurationMs", "Milliseconds"}});
      CHECK(number_field(object, "PDFsProcessed") == 3);
      CHECK(number_field(object, "S3ListPages") == 2);
      CHECK(number_field(object, "PresignCount") == 4);  // three PDFs and the manifest
      CHECK(number_field(object, "ManifestBytes") == manifest.size());
      // What the caller receives (Lambda's 6 MB limit), not what S3 sent.
      CHECK(number_field(object, "ResponseBytes") == lines[0].size());
      CHECK(number_field(object, "S3ListResponseBytes") > 0);
      CHECK(number_field(object, "DurationMs") == duration_ms);
      continue;
    }
    const std::string event = string_field(object, "event");
    if (request_id.empty()) request_id = string_field(object, "request_id");
    CHECK(string_field(object, "request_id") == request_id);
    CHECK(line.find(f.env.credentials.secret_access_key) == std::string::npos);
    if (event == "complete") {
      saw_complete = true;
      CHECK(number_field(object, "count") == 3);
      CHECK(number_field(object, "errors") == 0);
      CHECK(number_field(object, "pages") == 2);
      CHECK(number_field(object, "duration_ms") == duration_ms);
    }
  }
  CHECK(request_id.size() == 36);
  CHECK(saw_complete);
  CHECK(saw_emf);
}

TEST_CASE("sign_pdfs reads the event from a file or stdin, and flags beat it", "[pipeline][cli]") {
  cli_fixture f;
  run_async(f.context, f.s3.put_object({.bucket = f.bucket, .key = "ev/one.pdf"}, "%PDF"));
  run_async(f.context, f.s3.put_object({.bucket = f.bucket, .key = "other/two.pdf"}, "%PDF"));
  const std::string event = R"({"bucket":")" + f.bucket + R"(","prefix":"ev/","expiry_seconds":60})";
  simdjson::dom::parser parser;

  const s3co::testing::temp_file event_file(event);
  const auto from_file = run_sign_pdfs("--event " + event_file.path());
  INFO(from_file.err);
  REQUIRE(from_file.exit_status == 0);
  CHECK(number_field(parse_object(parser, from_file.out), "count") == 1);

  const auto from_stdin = run_sign_pdfs("--event - --prefix other/", {}, event);
  INFO(from_stdin.err);
  REQUIRE(from_stdin.exit_status == 0);
  CHECK(number_field(parse_object(parser, from_stdin.out), "count") == 1);

  const auto from_environment = run_sign_pdfs("", "BUCKET_NAME=" + f.bucket + " PREFIX=ev/");
  INFO(from_environment.err);
  REQUIRE(from_environment.exit_status == 0);
  CHECK(number_field(parse_object(parser, from_environment.out), "count") == 1);
}

TEST_CASE("bad input exits 2 and names the field, before any S3 call", "[pipeline][cli]") {
  struct bad_input {
    std::string arguments;
    std::string environment;
    std::string stdin_text;
    std::string field;
  };
  const std::string bucket = "--bucket some-bucket ";
  const std::vector<bad_input> cases = {
      {"", "", "", "bucket"},
      {"--prefix x/", "", "", "bucket"},
      {bucket + "--expiry-seconds 0", "", "", "expiry_seconds"},
      {bucket + "--expiry-seconds 604801", "", "", "expiry_seconds"},
      {bucket + "--expiry-seconds soon", "", "", "expiry_seconds"},
      {bucket + "--page-size 0", "", "", "page_size"},
      {bucket + "--page-size 1001", "", "", "page_size"},
      {bucket + "--page-size 10x", "", "", "page_size"},
      {bucket + "--concurrency 0", "", "", "concurrency"},
      {bucket + "--concurrency 1025", "", "", "concurrency"},
      {bucket + "--concurrency -3", "", "", "concurrency"},
      {"--bucket Not_A_Bucket", "", "", "bucket"},
      {"--bucket ab", "", "", "bucket"},
      {"--event -", "", "{\"bucket\":", "event"},
      {"--event -", "", "[1,2]", "event"},
      {"--event -", "", R"({"bucket":"some-bucket","colour":"blue"})", "colour"},
      {"--event -", "", R"({"bucket":"some-bucket","expiry_seconds":true})", "expiry_seconds"},
      {"--event -", "", R"({"bucket":"some-bucket","page_size":1.5})", "page_size"},
      {"--event /nonexistent/event.json", "", "", "--event"},
      {bucket, "URL_EXPIRY_SECONDS=forever", "", "URL_EXPIRY_SECONDS"},
      {bucket, "QUEUE_MAX=0", "", "QUEUE_MAX"},
      {bucket, "S3_ENDPOINT_URL='not a url'", "", "S3_ENDPOINT_URL"},
      {bucket, "S3_ENDPOINT_URL=ftp://127.0.0.1:1", "", "S3_ENDPOINT_URL"},
      {bucket + "--colour blue", "", "", "--colour"},
      {bucket + "--prefix", "", "", "--prefix"},
  };
  simdjson::dom::parser parser;
  for (const auto& bad : cases) {
    const auto run = run_sign_pdfs(bad.arguments, bad.environment, bad.stdin_text);
    INFO("sign_pdfs " << bad.arguments << " with " << bad.environment << " and stdin " << bad.stdin_text
                      << "\nstdout: " << run.out << "\nstderr: " << run.err);
    CHECK(run.exit_status == 2);
    CHECK(run.err.find(bad.field) != std::string::npos);
    if (!run.out.empty()) {
      // Input the program could parse: the body names the field too.
      const auto body = parse_object(parser, run.out);
      CHECK(string_field(body, "field") == bad.field);
      CHECK(!string_field(body, "error").empty());
    }
  }
}

TEST_CASE("a missing bucket exits 1 with a clear error and leaves no upload", "[pipeline][cli]") {
  cli_fixture f;
  const std::string missing = "s3co-missing-" + f.bucket;
  const auto run = run_sign_pdfs("--bucket " + missing);
  INFO("stdout: " << run.out << "\nstderr: " << run.err);
  CHECK(run.exit_status == 1);
  simdjson::dom::parser parser;
  const auto body = parse_object(parser, run.out);
  const std::string error = string_field(body, "error");
  CHECK(error.find("NoSuchBucket") != std::string::npos);
  CHECK(error.find(missing) != std::string::npos);
  CHECK(run.err.find("\"event\":\"failed\"") != std::string::npos);
  CHECK(run.err.find(f.env.credentials.secret_access_key) == std::string::npos);
  // Nothing was started in a bucket that exists either.
  CHECK(run_async(f.context, f.s3.list_multipart_uploads({.bucket = f.bucket})).empty());
}

TEST_CASE("an unreachable endpoint exits 1 after bounded retries", "[pipeline][cli]") {
  // Port 9 on 127.0.0.1: nothing listens, every connection is refused.
  const auto run = run_sign_pdfs("--bucket some-bucket", "S3_ENDPOINT_URL=http://127.0.0.1:9");
  INFO("stdout: " << run.out << "\nstderr: " << run.err);
  CHECK(run.exit_status == 1);
  simdjson::dom::parser parser;
  const std::string error = string_field(parse_object(parser, run.out), "error");
  CHECK(error.find("127.0.0.1:9") != std::string::npos);
}
