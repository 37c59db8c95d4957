#include "s3co/s3/error.hpp"
#include "s3co/aws/config_error.hpp"

#include <catch2/catch.hpp>

using namespace s3co::s3;

TEST_CASE("S3 error XML becomes a typed error", "[error]") {
  const auto error = make_s3_error("GET bucket/missing.pdf", 404,
                                   "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchKey</Code>"
                                   "<Message>The specified key does not exist.</Message><Key>missing.pdf</Key>"
                                   "<RequestId>tx000-abc</RequestId></Error>",
                                   "tx-header");
  CHECK(error.status() == 404);
  CHECK(error.code() == "NoSuchKey");
  CHECK(error.message() == "The specified key does not exist.");
  CHECK(error.request_id() == "tx000-abc");
  CHECK(std::string(error.what()) ==
        "GET bucket/missing.pdf: NoSuchKey (HTTP 404): The specified key does not exist. [request id tx000-abc]");
}

TEST_CASE("a body that is not S3 error XML still gives a typed error", "[error]") {
  const auto error = make_s3_error("HEAD bucket/key", 403, "", "req-1");
  CHECK(error.code().empty());
  CHECK(error.status() == 403);
  CHECK(error.request_id() == "req-1");
  CHECK(std::string(error.what()) == "HEAD bucket/key: HTTP error (HTTP 403) [request id req-1]");
  CHECK(make_s3_error("GET b", 502, "<html>bad gateway</html>", "").code().empty());
}

TEST_CASE("every error shares s3co::error, carrying what a caller acts on", "[error]") {
  const s3co::error& throttled = make_s3_error("PUT bucket/key", 503,
                                               "<Error><Code>SlowDown</Code><RequestId>r-9</RequestId></Error>", "", 3);
  CHECK(throttled.operation() == "PUT bucket/key");
  CHECK(throttled.status() == 503);
  CHECK(throttled.code() == "SlowDown");
  CHECK(throttled.request_id() == "r-9");
  CHECK(throttled.retryable());
  CHECK(throttled.attempts() == 3);
  CHECK_FALSE(make_s3_error("GET b/k", 404, "<Error><Code>NoSuchKey</Code></Error>", "").retryable());

  const auto catch_as_base = [](auto thrown) -> std::string {
    try {
      throw thrown;
    } catch (const s3co::error& error) {
      return error.operation();
    }
  };
  CHECK(catch_as_base(s3co::aws::config_error("bucket", "must not be empty")) == "bucket");
  CHECK(catch_as_base(malformed_response("ListObjectsV2 b: no <IsTruncated>", {.operation = "ListObjectsV2 b"})) ==
        "ListObjectsV2 b");
}
