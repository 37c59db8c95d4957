#include "s3co/s3/client.hpp"

#include <catch2/catch.hpp>

#include <map>

#include "support/fake_sender.hpp"
#include "support/run_async.hpp"

using namespace s3co;
using s3co::testing::answer;
using s3co::testing::fake_sender;
using s3co::testing::run_async;

namespace {
const aws::credentials test_credentials{"AKIDEXAMPLE", "secret/key", ""};
}

TEST_CASE("requests are addressed path-style or virtual-hosted", "[s3-client]") {
  fake_sender sender([](const http::request&) { return answer(200); });
  s3::client path_style(sender, test_credentials, "us-east-1", aws::parse_endpoint_url("http://127.0.0.1:7480"));
  auto request = path_style.make_request(aws::http_method::get, "bucket", "a b/c+d", {{"versionId", "x/y"}});
  CHECK(request.host == "127.0.0.1");
  CHECK(request.port == 7480);
  CHECK(request.authority == "127.0.0.1:7480");
  CHECK(request.target == "/bucket/a%20b/c%2Bd?versionId=x%2Fy");
  CHECK(path_style.make_request(aws::http_method::get, "bucket", "").target == "/bucket");

  s3::client aws_client(sender, test_credentials, "eu-west-1", aws::aws_s3_endpoint("eu-west-1"));
  request = aws_client.make_request(aws::http_method::get, "bucket", "key");
  CHECK(request.host == "bucket.s3.eu-west-1.amazonaws.com");
  CHECK(request.port == 443);
  CHECK(request.scheme == "https");
  CHECK(request.target == "/key");
  CHECK(aws_client.make_request(aws::http_method::get, "bucket", "").target == "/");
}

TEST_CASE("authorize signs each attempt afresh and keeps the caller's headers", "[s3-client]") {
  fake_sender sender([](const http::request&) { return answer(200); });
  s3::client s3(sender, {"AKIDEXAMPLE", "secret/key", "session-token"}, "us-east-1",
                aws::parse_endpoint_url("http://127.0.0.1:7480"));
  auto request = s3.make_request(aws::http_method::put, "bucket", "key");
  request.headers.push_back({"Content-Type", "application/pdf"});
  request.body = std::string("hello");
  const auto first_time = std::chrono::sys_days{std::chrono::year{2026} / 4 / 1} + std::chrono::hours(1);
  request.authorize(request, first_time);
  request.authorize(request, first_time + std::chrono::seconds(5));

  std::map<std::string, int> counts;
  std::string authorization;
  for (const auto& header : request.headers) {
    ++counts[header.name];
    if (header.name == "Authorization") authorization = header.value;
  }
  CHECK(counts["Authorization"] == 1);
  CHECK(counts["x-amz-date"] == 1);
  CHECK(counts["x-amz-security-token"] == 1);
  CHECK(counts["Content-Type"] == 1);

  aws::header_signer signer({"AKIDEXAMPLE", "secret/key", "session-token"}, "us-east-1");
  const std::vector<aws::header_field> signed_headers{{"Content-Type", "application/pdf"}};
  const auto expected = signer.sign({aws::http_method::put, "127.0.0.1:7480", "/bucket/key", "", signed_headers,
                                     aws::empty_payload_sha256, first_time + std::chrono::seconds(5)});
  // The body was set after make_request without a hash header: the empty
  // payload hash is what was signed, as sent.
  CHECK(authorization == expected.authorization);
}

TEST_CASE("bodies set through the client are signed with their SHA-256", "[s3-client]") {
  fake_sender sender([](const http::request&) { return answer(200, "", {{"ETag", "\"abc\""}}); });
  s3::client s3(sender, test_credentials, "us-east-1", aws::parse_endpoint_url("http://127.0.0.1:7480"));
  const auto result = run_async(s3.put_object({.bucket = "bucket", .key = "key"}, "hello"));
  CHECK(result.etag == "\"abc\"");
  const auto sent = sender.requests().at(0);
  bool hashed = false;
  for (const auto& header : sent.headers) {
    if (header.name == "x-amz-content-sha256") {
      hashed = header.value == aws::to_hex(aws::sha256_of("hello"));
    }
  }
  CHECK(hashed);
}

TEST_CASE("answers that are not 2xx become s3_error", "[s3-client]") {
  fake_sender sender([](const http::request&) {
    return answer(404, "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>",
                  {{"x-amz-request-id", "req-9"}});
  });
  s3::client s3(sender, test_credentials, "us-east-1", aws::parse_endpoint_url("http://127.0.0.1:7480"));
  try {
    run_async(s3.get_object({.bucket = "missing-bucket", .key = "key"}));
    FAIL("no error");
  } catch (const s3::s3_error& error) {
    CHECK(error.code() == "NoSuchBucket");
    CHECK(error.status() == 404);
    CHECK(error.request_id() == "req-9");
    CHECK_THAT(error.what(), Catch::StartsWith("GET http://127.0.0.1:7480/missing-bucket/key: NoSuchBucket"));
  }
}

TEST_CASE("CompleteMultipartUpload's 200 with an <Error> body is an error", "[s3-client]") {
  fake_sender sender([](const http::request&) {
    return answer(200, "<?xml version=\"1.0\"?>\n<Error><Code>InternalError</Code><Message>oops</Message></Error>");
  });
  s3::client s3(sender, test_credentials, "us-east-1", aws::parse_endpoint_url("http://127.0.0.1:7480"));
  CHECK_THROWS_AS(run_async(s3.complete_multipart_upload("b", "k", "id", {{1, "\"e\""}})), s3::s3_error);
}

TEST_CASE("CreateBucket outside us-east-1 names its region", "[s3-client]") {
  fake_sender sender([](const http::request&) { return answer(200); });
  s3::client s3(sender, test_credentials, "eu-west-3", aws::parse_endpoint_url("http://127.0.0.1:7480"));
  run_async(s3.create_bucket("new-bucket"));
  const auto body = std::get<std::string>(sender.requests().at(0).body);
  CHECK_THAT(body, Catch::Contains("<LocationConstraint>eu-west-3</LocationConstraint>"));
}
