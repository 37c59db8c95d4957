// The sign_pdfs program against servers that never let a run end by
// themselves (tests/support/test_http_server.hpp): one that accepts and
// never answers, and listings that never say IsTruncated=false. Each run must
// end on its own, bounded by --request-timeout-seconds or --deadline-seconds,
// or on a continuation token that repeats.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include <simdjson.h>

#include "support/json_fields.hpp"
#include "support/sign_pdfs_program.hpp"
#include "support/test_http_server.hpp"

using namespace std::chrono_literals;
using s3co::testing::test_http_reply;
using s3co::testing::test_http_request;
using s3co::testing::test_http_server;

namespace {

// A ListObjectsV2 page with no keys that says more follow, after `token`.
test_http_reply truncated_empty_page(const std::string& token) {
  return s3co::testing::reply_ok(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult><Name>some-bucket</Name><KeyCount>0</KeyCount>"
      "<IsTruncated>true</IsTruncated><NextContinuationToken>" +
      token + "</NextContinuationToken></ListBucketResult>");
}

struct timed_run {
  s3co::testing::process_result result;
  std::chrono::milliseconds elapsed{0};
};

// Runs sign_pdfs against `server`; a run still going after `guard` fails the test.
timed_run run_against(const test_http_server& server, const std::string& arguments,
                      std::chrono::milliseconds guard = 60s) {
  const auto started = std::chrono::steady_clock::now();
  auto program = s3co::testing::start_sign_pdfs(
      "--bucket some-bucket " + arguments, "S3_ENDPOINT_URL=http://127.0.0.1:" + std::to_string(server.port()));
  auto result = program->wait_for(guard);
  INFO("stderr so far: " << program->err_so_far());
  REQUIRE(result.has_value());
  return {*result, std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)};
}

std::string error_of(const s3co::testing::process_result& result) {
  simdjson::dom::parser parser;
  return s3co::testing::string_field(s3co::testing::parse_object(parser, result.out), "error");
}

}  // namespace

TEST_CASE("faults: a server that accepts and never answers fails the run after three request timeouts",
          "[faults][cli][timeouts]") {
  test_http_server server([](const test_http_request&) { return s3co::testing::reply_stall(); });
  const timed_run run = run_against(server, "--request-timeout-seconds 1");
  INFO("stdout: " << run.result.out << "\nstderr: " << run.result.err);
  CHECK(run.result.exit_status == 1);
  CHECK(error_of(run.result).find("after 3 attempts") != std::string::npos);
  CHECK(server.requests() == 3);
  // Three timeouts of 1 s and the backoff between them (at most 1 s + 2 s).
  CHECK(run.elapsed >= 3s);
  CHECK(run.elapsed < 20s);
}

TEST_CASE("faults: an endless listing (a new token on every page) ends at --deadline-seconds",
          "[faults][cli][timeouts]") {
  test_http_server server([](const test_http_request& request) {
    return truncated_empty_page("token-" + std::to_string(request.number));
  });
  const timed_run run = run_against(server, "--deadline-seconds 2");
  INFO("stdout: " << run.result.out << "\nstderr: " << run.result.err);
  CHECK(run.result.exit_status == 1);
  CHECK(error_of(run.result).find("deadline") != std::string::npos);
  CHECK(run.result.err.find("\"event\":\"failed\"") != std::string::npos);
  CHECK(server.requests() > 1);
  CHECK(run.elapsed >= 2s);
  CHECK(run.elapsed < 20s);
}

TEST_CASE("faults: a listing whose continuation token repeats an earlier one is a malformed ListObjectsV2 answer",
          "[faults][cli][timeouts]") {
  // token-a, token-b, token-a, ...: never the same token twice in a row.
  test_http_server server([](const test_http_request& request) {
    return truncated_empty_page(request.number % 2 == 1 ? "token-a" : "token-b");
  });
  const timed_run run = run_against(server, "");
  INFO("stdout: " << run.result.out << "\nstderr: " << run.result.err);
  CHECK(run.result.exit_status == 1);
  const std::string error = error_of(run.result);
  CHECK(error.find("ListObjectsV2") != std::string::npos);
  CHECK(error.find("repeats") != std::string::npos);
  CHECK(server.requests() == 3);
}
