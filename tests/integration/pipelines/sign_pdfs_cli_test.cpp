// The sign_pdfs program as scripts and users run it (DESIGN.md's
// command-line contract): result JSON on stdout, logs and EMF on stderr,
// exit 0 / 2 (bad input, field named) / 1 (failed run, nothing left in S3).
#include "s3co/http/client.hpp"
#include "s3co/s3/client.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <utility>
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
#include "support/test_bucket.hpp"
#include "support/tricky_keys.hpp"

using namespace s3co;
using s3co::testing::number_field;
using s3co::testing::parse_object;
using s3co::testing::run_async;
using s3co::testing::run_sign_pdfs;
using s3co::testing::shell_quote;
using s3co::testing::string_field;

namespace {

// sign_pdfs reads at most this much of an event (its header comment).
constexpr std::size_t max_event_bytes = 1 << 20;

// `event` followed by spaces up to exactly max_event_bytes.
std::string padded_to_limit(std::string event) {
  event.resize(max_event_bytes, ' ');
  return event;
}

struct cli_fixture : s3co::testing::test_bucket {
  cli_fixture() : test_bucket("sign-pdfs-cli") {}
};

}  // namespace

TEST_CASE("sign_pdfs prints the result, one complete log line and one EMF line", "[pipeline][cli]") {
  // Presigning on a thread pool of its own changes nothing in the output.
  const std::string threads = GENERATE(as<std::string>(), "", " --presign-threads 2");
  cli_fixture f;
  const std::vector<std::string> keys = {"in/a.pdf", "in/b.PDF", "in/c.txt", "in/d e.pdf", "out/f.pdf"};
  run_async(f.context, s3co::testing::concurrently(keys.size(), 8, [&](std::size_t i) -> boost::asio::awaitable<void> {
    co_await f.s3.put_object({.bucket = f.bucket, .key = keys[i]}, "%PDF " + keys[i]);
  }));

  const auto run = run_sign_pdfs("--bucket " + f.bucket + " --prefix in/ --page-size 2 --expiry-seconds 600" + threads);
  INFO("sign_pdfs" << threads << "\nstderr:\n" << run.err);
  REQUIRE(run.exit_status == 0);

  simdjson::dom::parser parser;
  const auto lines = s3co::testing::lines_of(run.out);
  REQUIRE(lines.size() == 1);
  const auto result = parse_object(parser, lines[0]);
  CHECK(number_field(result, "count") == 3);
  CHECK(number_field(result, "errors") == 0);
  const auto pages = number_field(result, "pages");
  CHECK(pages >= 2);
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
      CHECK(number_field(object, "pages") == pages);
      CHECK(number_field(object, "list_chains") >= 1);
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
      {bucket + "--list-concurrency 0", "", "", "list_concurrency"},
      {bucket + "--list-concurrency 65", "", "", "list_concurrency"},
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
      // Issue 10: events that are not files, or too large.
      {"--event /", "", "", "--event"},
      {"--event /dev/zero", "", "", "--event"},
      {"--event -", "", std::string(max_event_bytes + 1, ' '), "--event"},
      // Exactly at the limit the event is read (and its content judged).
      {"--event -", "", padded_to_limit(R"({"bucket":"some-bucket","colour":1})"), "colour"},
      // Issue 10: edge cases of the event, the flags and the environment.
      {"--event -", "", R"({"bucket":null,"bucket":"some-bucket"})", "bucket"},
      {"--event -", "", R"({"bucket":"some-bucket","bucket":null})", "bucket"},
      {"--event -", "", R"({"bucket":123})", "bucket"},
      {"--event -", "", R"({"bucket":"some-bucket","suffix":123})", "suffix"},
      {"--event -", "", R"({"bucket":"some-bucket","page_size":1e400})", "page_size"},
      {"--event -", "", R"({"bucket":"some-bucket","expiry_seconds":18446744073709551616})", "expiry_seconds"},
      {"--event -", "", "{\"bucket\":\"some-bucket\",\"prefix\":\"in\xff/\"}", "event"},
      {bucket + "--prefix " + shell_quote("in\xff/"), "", "", "prefix"},
      {bucket, "PREFIX=" + shell_quote("in\xff/"), "", "PREFIX"},
      {"--bucket xn--some-bucket", "", "", "bucket"},
      {"--bucket sthree-bucket", "", "", "bucket"},
      {"--bucket some-bucket-s3alias", "", "", "bucket"},
      {"--bucket some-bucket--ol-s3", "", "", "bucket"},
      // The per-request timeout and the whole-run deadline.
      {bucket + "--request-timeout-seconds 0", "", "", "request_timeout_seconds"},
      {bucket + "--request-timeout-seconds 3601", "", "", "request_timeout_seconds"},
      {bucket + "--request-timeout-seconds soon", "", "", "request_timeout_seconds"},
      {bucket + "--deadline-seconds 0", "", "", "deadline_seconds"},
      {bucket + "--deadline-seconds -5", "", "", "deadline_seconds"},
      {bucket + "--deadline-seconds 604801", "", "", "deadline_seconds"},
      {"--event -", "", R"({"bucket":"some-bucket","deadline_seconds":"soon"})", "deadline_seconds"},
      // Plans and combines.
      {"plan " + bucket + "--shards 0", "", "", "plan"},
      {"plan " + bucket + "--shards 10001", "", "", "plan"},
      {"plan " + bucket + "--shards 2 --shard 0", "", "", "shards"},
      {"combine " + bucket + "--job-id a/b", "", "", "combine"},
      {"combine " + bucket + "--job-id j --start-after k", "", "", "start_after"},
      {"--event -", "", R"({"bucket":"some-bucket","plan":2,"combine":"j"})", "combine"},
      {"--event -", "", R"({"bucket":"some-bucket","request_timeout_seconds":true})", "request_timeout_seconds"},
      {bucket + "--presign-threads 65", "", "", "--presign-threads"},
      {bucket + "--presign-threads -1", "", "", "--presign-threads"},
      {bucket + "--presign-threads two", "", "", "--presign-threads"},
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

TEST_CASE("combining a job none of whose shards ran exits 1 naming the job, and writes nothing", "[pipeline][cli]") {
  cli_fixture f;
  const auto run = run_sign_pdfs("combine --bucket " + f.bucket + " --job-id never-ran");
  INFO("stdout: " << run.out << "\nstderr: " << run.err);
  CHECK(run.exit_status == 1);
  simdjson::dom::parser parser;
  const auto body = parse_object(parser, run.out);
  CHECK_THAT(string_field(body, "error"), Catch::StartsWith("job never-ran: no shard has finished"));
  CHECK(run.err.find("\"operation\":\"combine\"") != std::string::npos);  // the start line
  CHECK(f.keys_under("").empty());
  CHECK(f.no_multipart_uploads());
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

TEST_CASE("flag errors are JSON like every other bad input, with the usage on stderr", "[pipeline][cli]") {
  simdjson::dom::parser parser;
  for (const auto& [arguments, field] : std::vector<std::pair<std::string, std::string>>{
           {"--colour blue", "--colour"}, {"--bucket some-bucket --prefix", "--prefix"}, {"--event", "--event"},
           {"plan --bucket some-bucket", "--shards"}, {"combine --bucket some-bucket", "--job-id"},
           {"--bucket some-bucket --array", "--array"}}) {
    const auto run = run_sign_pdfs(arguments);
    INFO("sign_pdfs " << arguments << "\nstdout: " << run.out << "\nstderr: " << run.err);
    CHECK(run.exit_status == 2);
    REQUIRE(s3co::testing::lines_of(run.out).size() == 1);
    const auto body = parse_object(parser, run.out);
    CHECK(string_field(body, "field") == field);
    CHECK_THAT(string_field(body, "error"), Catch::StartsWith(field + ": "));
    CHECK(run.err.find("usage: sign_pdfs") != std::string::npos);
  }
}

TEST_CASE("a NUL in the bucket is shown escaped, and the message goes on", "[pipeline][cli]") {
  const auto run = run_sign_pdfs("--event -", {}, R"({"bucket":"ab\u0000cd"})");
  INFO("stdout: " << run.out << "\nstderr: " << run.err);
  CHECK(run.exit_status == 2);
  simdjson::dom::parser parser;
  const auto body = parse_object(parser, run.out);
  CHECK(string_field(body, "field") == "bucket");
  CHECK(string_field(body, "error") == R"(bucket: 'ab\u0000cd' may hold only lower-case letters, digits, '.' and '-')");
  CHECK(run.err.find(R"(ab\\u0000cd' may hold only)") != std::string::npos);
}

TEST_CASE("an endpoint URL's user information and query never appear in any output", "[pipeline][cli]") {
  for (const std::string url : {"http://AKLEAKED:SECRETLEAKED@127.0.0.1:7620", "http://SECRETLEAKED@127.0.0.1:7620/",
                                "http://127.0.0.1:7620/?X-Amz-Security-Token=TOKENLEAKED",
                                "http://127.0.0.1:7620?TOKENLEAKED", "http://127.0.0.1:7620/#TOKENLEAKED"}) {
    for (const char* variable : {"S3_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"}) {
      // AWS_ENDPOINT_URL_S3 counts only without S3_ENDPOINT_URL (the test server's environment sets it).
      const std::string environment = std::string(variable) == "S3_ENDPOINT_URL"
                                          ? "S3_ENDPOINT_URL=" + shell_quote(url)
                                          : "unset S3_ENDPOINT_URL && AWS_ENDPOINT_URL_S3=" + shell_quote(url);
      const auto run = run_sign_pdfs("--bucket some-bucket", environment);
      INFO(variable << "=" << url << "\nstdout: " << run.out << "\nstderr: " << run.err);
      CHECK(run.exit_status == 2);
      simdjson::dom::parser parser;
      CHECK(string_field(parse_object(parser, run.out), "field") == variable);
      for (const char* secret : {"AKLEAKED", "SECRETLEAKED", "TOKENLEAKED"}) {
        CHECK(run.out.find(secret) == std::string::npos);
        CHECK(run.err.find(secret) == std::string::npos);
      }
    }
  }
}

TEST_CASE("a result stdout cannot take exits 1 and says so, and the manifest stays", "[pipeline][cli]") {
  cli_fixture f;
  run_async(f.context, f.s3.put_object({.bucket = f.bucket, .key = "w/a.pdf"}, "%PDF"));
  const std::string arguments = "--bucket " + f.bucket + " --prefix w/";
  // The same shell line run_sign_pdfs gives, with its stdout sent somewhere that fails.
  const auto with_stdout = [&](const std::string& redirection, const std::string& setup = {}) {
    return s3co::testing::run_process(setup + "{ " + s3co::testing::sign_pdfs_command(arguments) + " " + redirection +
                                      "; }");
  };
  // A pipe whose reader has gone: opening the FIFO for writing waits for the
  // reader, which then exits, so every write gets EPIPE (and SIGPIPE).
  const std::string closed_pipe_setup =
      "d=$(mktemp -d) && mkfifo \"$d/p\" && { (exec <\"$d/p\") & exec 3>\"$d/p\"; wait; rm -r \"$d\"; } && ";
  const std::vector<std::pair<std::string, s3co::testing::process_result>> runs = {
      {"/dev/full", with_stdout(">/dev/full")},
      {"closed stdout", with_stdout(">&-")},
      {"pipe without a reader", with_stdout(">&3 3>&-", closed_pipe_setup)},
  };
  simdjson::dom::parser parser;
  std::size_t manifests = 0;
  for (const auto& [what, run] : runs) {
    INFO(what << "\nstdout: " << run.out << "\nstderr: " << run.err);
    CHECK(run.exit_status == 1);
    bool said_so = false;
    std::string manifest_key;
    for (const auto& line : s3co::testing::lines_of(run.err)) {
      const auto object = parse_object(parser, line);
      if (object["event"].error() != simdjson::SUCCESS) continue;  // the EMF line
      const std::string event = string_field(object, "event");
      if (event == "complete") manifest_key = string_field(object, "manifest_key");
      if (event == "result_write_failed") {
        said_so = true;
        CHECK(string_field(object, "level") == "error");
        CHECK(!string_field(object, "error").empty());
      }
    }
    CHECK(said_so);
    // The job itself succeeded: its manifest is in S3.
    REQUIRE(!manifest_key.empty());
    const std::string manifest = run_async(f.context, f.s3.get_object({.bucket = f.bucket, .key = manifest_key}));
    CHECK(manifest.find("\"key\":\"w/a.pdf\"") != std::string::npos);
    ++manifests;
  }
  CHECK(manifests == runs.size());
}

TEST_CASE("a key holding U+2028 or U+2029 is one manifest record to Python's splitlines", "[pipeline][cli]") {
  cli_fixture f;
  const std::vector<std::string> keys = {"sep/a\xE2\x80\xA8" "b.pdf", "sep/c\xE2\x80\xA9" "d.pdf", "sep/e.pdf"};
  for (const auto& key : keys) run_async(f.context, f.s3.put_object({.bucket = f.bucket, .key = key}, "%PDF"));
  const auto run = run_sign_pdfs("--bucket " + f.bucket + " --prefix sep/");
  INFO("stderr:\n" << run.err);
  REQUIRE(run.exit_status == 0);
  simdjson::dom::parser parser;
  const std::string manifest_url = string_field(parse_object(parser, run.out), "manifest_url");
  // Each record Python's splitlines() finds, decoded, as the hex of its key;
  // in braces so that run_command's stdin goes to the group, not to Python.
  const std::string records = s3co::testing::run_command(
      "{ curl -sS --fail " + shell_quote(manifest_url) + " | " + S3CO_PYTHON +
      " -c 'import json, sys; print(\"\\n\".join(json.loads(r)[\"key\"].encode().hex() for r in "
      "sys.stdin.buffer.read().decode().splitlines()))'; }");
  std::vector<std::string> expected;
  for (const auto& key : keys) expected.push_back(s3co::testing::hex_of(key));
  CHECK(s3co::testing::lines_of(records) == expected);
}
