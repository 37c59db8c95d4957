#include "s3co/aws/presigner.hpp"

#include <catch2/catch.hpp>

using namespace s3co::aws;
using namespace std::chrono;

namespace {
const credentials example_credentials{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
const s3co::aws::utc_time_point example_time = sys_days{2013y / May / 24} + 0h;
}  // namespace

TEST_CASE("presigned GET matches AWS's published S3 example", "[presigner]") {
  // "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)".
  presigner signer(example_credentials, "us-east-1", aws_s3_endpoint("us-east-1"));
  const std::string url = signer.presign({"examplebucket", "test.txt", seconds(86400), example_time});
  CHECK(url ==
        "https://examplebucket.s3.amazonaws.com/test.txt"
        "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST_CASE("append_presigned appends to what the buffer holds", "[presigner]") {
  presigner signer(example_credentials, "us-east-1", aws_s3_endpoint("us-east-1"));
  std::string buffer = "url: ";
  signer.append_presigned(buffer, {"examplebucket", "test.txt", seconds(86400), example_time});
  CHECK(buffer == "url: " + signer.presign({"examplebucket", "test.txt", seconds(86400), example_time}));
}

TEST_CASE("a session token is signed and placed after SignedHeaders", "[presigner]") {
  credentials temporary = example_credentials;
  temporary.session_token = "token/with+special=";
  presigner signer(temporary, "us-east-1", aws_s3_endpoint("us-east-1"));
  const std::string url = signer.presign({"examplebucket", "test.txt", seconds(60), example_time});
  CHECK_THAT(url, Catch::Contains("&X-Amz-SignedHeaders=host&X-Amz-Security-Token=token%2Fwith%2Bspecial%3D"
                                  "&X-Amz-Signature="));
  presigner without_token(example_credentials, "us-east-1", aws_s3_endpoint("us-east-1"));
  const std::string plain = without_token.presign({"examplebucket", "test.txt", seconds(60), example_time});
  CHECK(url.substr(url.size() - 64) != plain.substr(plain.size() - 64));
}

TEST_CASE("keys are encoded once with slashes kept", "[presigner]") {
  presigner signer(example_credentials, "us-east-1", parse_endpoint_url("http://127.0.0.1:7480"));
  const std::string url = signer.presign({"bucket", "/a b/../c+d%/é", seconds(60), example_time});
  CHECK_THAT(url, Catch::StartsWith("http://127.0.0.1:7480/bucket//a%20b/../c%2Bd%25/%C3%A9?X-Amz-Algorithm="));
}

TEST_CASE("presign input is validated", "[presigner]") {
  presigner signer(example_credentials, "us-east-1", aws_s3_endpoint("us-east-1"));
  CHECK_THROWS_WITH(signer.presign({"bucket", "key", seconds(0), example_time}), Catch::StartsWith("expires: 0 "));
  CHECK_THROWS_WITH(signer.presign({"bucket", "key", seconds(604801), example_time}),
                    Catch::StartsWith("expires: 604801 "));
  CHECK_NOTHROW(signer.presign({"bucket", "key", seconds(604800), example_time}));
  CHECK_NOTHROW(signer.presign({"bucket", "key", seconds(1), example_time}));
  CHECK_THROWS_WITH(signer.presign({"bucket", "", seconds(60), example_time}), Catch::StartsWith("key: "));
  CHECK_THROWS_WITH(signer.presign({"", "key", seconds(60), example_time}), Catch::StartsWith("bucket: "));
  CHECK_THROWS_AS(presigner(credentials{"", "secret", ""}, "us-east-1", aws_s3_endpoint("us-east-1")), config_error);
  CHECK_THROWS_WITH(presigner(example_credentials, "US EAST", aws_s3_endpoint("us-east-1")),
                    Catch::StartsWith("region: "));
}

TEST_CASE("the signing key is derived once for many URLs of one day", "[presigner]") {
  presigner signer(example_credentials, "us-east-1", aws_s3_endpoint("us-east-1"));
  for (int i = 0; i < 1000; ++i) {
    signer.presign({"examplebucket", std::to_string(i), seconds(60), example_time + seconds(i)});
  }
  CHECK(signer.key_cache().derivations() == 1);
  signer.presign({"examplebucket", "k", seconds(60), example_time + days(1)});
  CHECK(signer.key_cache().derivations() == 2);
}

TEST_CASE("without a time, a URL starts now by the presigner's clock", "[presigner]") {
  presigner signer(example_credentials, "eu-west-1", aws_s3_endpoint("eu-west-1"));
  const auto valid_from = [](const std::string& url) {
    const auto at = parse_amz_timestamp(std::string_view(url).substr(url.find("X-Amz-Date=") + 11, 16));
    REQUIRE(at.has_value());
    return *at;
  };
  const std::string url = signer.presign({.bucket = "examplebucket", .key = "test.txt"});
  CHECK(abs(valid_from(url) - system_clock::now()) < 60s);  // not 1970
  CHECK_THAT(url, Catch::Contains("X-Amz-Expires=3600&"));

  signer.set_clock_offset(-2h);  // the server is two hours behind us
  CHECK(abs(valid_from(signer.presign({.bucket = "examplebucket", .key = "test.txt"})) - (system_clock::now() - 2h)) <
        60s);
  // An explicit time wins.
  CHECK_THAT(signer.presign({.bucket = "examplebucket", .key = "test.txt", .at = example_time}),
             Catch::Contains("X-Amz-Date=20130524T000000Z"));
}

TEST_CASE("virtual-hosted URLs on AWS name the regional host, the global one in us-east-1 only", "[presigner]") {
  const auto host_of = [](const std::string& region) {
    presigner signer(example_credentials, region, aws_s3_endpoint(region));
    const std::string url = signer.presign({.bucket = "young-bucket", .key = "k", .at = example_time});
    return url.substr(0, url.find("/k?"));
  };
  CHECK(host_of("us-east-1") == "https://young-bucket.s3.amazonaws.com");
  CHECK(host_of("eu-west-1") == "https://young-bucket.s3.eu-west-1.amazonaws.com");
  CHECK(host_of("af-south-1") == "https://young-bucket.s3.af-south-1.amazonaws.com");
}
