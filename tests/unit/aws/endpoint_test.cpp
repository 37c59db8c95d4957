#include "s3co/aws/endpoint.hpp"

#include <catch2/catch.hpp>

#include "support/scoped_environment.hpp"

using namespace s3co::aws;

TEST_CASE("endpoint URLs parse into scheme, host and port", "[endpoint]") {
  auto endpoint = parse_endpoint_url("http://127.0.0.1:7480");
  CHECK(endpoint.scheme == "http");
  CHECK(endpoint.host == "127.0.0.1");
  CHECK(endpoint.port == 7480);
  CHECK(endpoint.authority() == "127.0.0.1:7480");
  CHECK(endpoint.host_is_ip_address());

  endpoint = parse_endpoint_url("https://s3.example.com/");
  CHECK(endpoint.authority() == "s3.example.com");
  CHECK_FALSE(endpoint.port);
  CHECK_FALSE(endpoint.host_is_ip_address());

  CHECK(parse_endpoint_url("https://s3.example.com:443").authority() == "s3.example.com");
  CHECK(parse_endpoint_url("http://s3.example.com:80").authority() == "s3.example.com");
  CHECK(parse_endpoint_url("https://s3.example.com:80").authority() == "s3.example.com:80");
  CHECK(parse_endpoint_url("http://[::1]:9000").authority() == "[::1]:9000");
  CHECK(parse_endpoint_url("http://[::1]:9000").host_is_ip_address());
}

TEST_CASE("malformed endpoint URLs are errors naming the field", "[endpoint]") {
  for (const char* bad : {"not a url", "s3.example.com", "ftp://host", "http://", "http://:80", "http://host:",
                          "http://host:0", "http://host:65536", "http://host:12a", "http://host/path",
                          "http://ho st", "http://[::1"}) {
    INFO(bad);
    try {
      parse_endpoint_url(bad, "S3_ENDPOINT_URL");
      FAIL("accepted");
    } catch (const config_error& error) {
      CHECK(error.field() == "S3_ENDPOINT_URL");
      CHECK_THAT(error.what(), Catch::StartsWith("S3_ENDPOINT_URL: '"));
    }
  }
}

TEST_CASE("endpoint URL errors never show user information, a query or a fragment", "[endpoint]") {
  // Each holds LEAK where a credential or a token would be: the message must not show it.
  for (const char* bad : {"http://AKIDLEAK:SECRETLEAK@127.0.0.1:7620", "http://SECRETLEAK@host",
                          "https://AKIDLEAK:SECRETLEAK@host/", "AKIDLEAK:SECRETLEAK@host",
                          "http://host?X-Amz-Security-Token=SECRETLEAK", "http://host/?token=SECRETLEAK",
                          "http://host#SECRETLEAK", "http://host/path?SECRETLEAK", "host?SECRETLEAK",
                          "ftp://AKIDLEAK:SECRETLEAK@host", "ftp://host?SECRETLEAK", "http://host:12a?SECRETLEAK",
                          "http://[::1?SECRETLEAK"}) {
    INFO(bad);
    try {
      parse_endpoint_url(bad, "S3_ENDPOINT_URL");
      FAIL("accepted");
    } catch (const config_error& error) {
      CHECK(error.field() == "S3_ENDPOINT_URL");
      CHECK_THAT(error.what(), Catch::StartsWith("S3_ENDPOINT_URL: "));
      CHECK_THAT(error.what(), !Catch::Contains("LEAK"));
    }
  }
  // Other errors show the scheme and host, never the rest.
  CHECK_THROWS_WITH(parse_endpoint_url("http://host/some/path", "S3_ENDPOINT_URL"),
                    "S3_ENDPOINT_URL: 'http://host' has a path (expected http[s]://host[:port])");
  CHECK_THROWS_WITH(parse_endpoint_url("http://host:0/", "S3_ENDPOINT_URL"),
                    Catch::StartsWith("S3_ENDPOINT_URL: 'http://host:0' "));
}

TEST_CASE("AWS endpoints by region", "[endpoint]") {
  CHECK(aws_s3_endpoint("us-east-1").authority() == "s3.amazonaws.com");
  CHECK(aws_s3_endpoint("eu-west-3").authority() == "s3.eu-west-3.amazonaws.com");
  CHECK(aws_s3_endpoint("eu-west-3").scheme == "https");
}

TEST_CASE("bucket addressing", "[endpoint]") {
  const auto aws = aws_s3_endpoint("us-east-1");
  auto address = address_bucket(aws, "examplebucket");
  CHECK(address.virtual_hosted);
  CHECK(address.authority == "examplebucket.s3.amazonaws.com");
  CHECK(address.path_prefix.empty());

  address = address_bucket(aws, "my.dotted.bucket");
  CHECK_FALSE(address.virtual_hosted);
  CHECK(address.authority == "s3.amazonaws.com");
  CHECK(address.path_prefix == "/my.dotted.bucket");

  CHECK_FALSE(address_bucket(aws, "Upper_Case").virtual_hosted);
  CHECK(address_bucket(aws_s3_endpoint("eu-west-3"), "bucket").authority == "bucket.s3.eu-west-3.amazonaws.com");

  auto custom = parse_endpoint_url("http://s3.local:9000");
  CHECK(address_bucket(custom, "bucket").authority == "s3.local:9000");
  CHECK(address_bucket(custom, "bucket").path_prefix == "/bucket");
  custom.addressing = addressing_style::virtual_hosted;
  CHECK(address_bucket(custom, "bucket").authority == "bucket.s3.local:9000");
  CHECK(address_bucket(custom, "dotted.bucket").authority == "dotted.bucket.s3.local:9000");
  custom.scheme = "https";
  CHECK_FALSE(address_bucket(custom, "dotted.bucket").virtual_hosted);

  auto ip = parse_endpoint_url("http://127.0.0.1:7480");
  ip.addressing = addressing_style::virtual_hosted;
  CHECK_FALSE(address_bucket(ip, "bucket").virtual_hosted);
}

TEST_CASE("virtual-hostable bucket names", "[endpoint]") {
  CHECK(is_virtual_hostable_bucket("abc"));
  CHECK(is_virtual_hostable_bucket("a-b-c"));
  CHECK_FALSE(is_virtual_hostable_bucket("a.b.c"));
  CHECK(is_virtual_hostable_bucket("a.b.c", true));
  for (const char* bad : {"ab", "-abc", "abc-", "a..bc", "a.-bc", "abc.", ".abc", "ABC", "a_c", "10.0.0.1"}) {
    INFO(bad);
    CHECK_FALSE(is_virtual_hostable_bucket(bad, true));
  }
}

TEST_CASE("bucket name rules", "[endpoint]") {
  for (const char* good : {"abc", "my-bucket", "my.bucket.1", "0bucket9"}) {
    INFO(good);
    CHECK_NOTHROW(validate_bucket_name(good));
  }
  for (const char* bad : {"", "ab", "-bucket", "bucket-", "Bucket", "my_bucket", "my..bucket", "192.168.1.1",
                          "bucket name"}) {
    INFO(bad);
    CHECK_THROWS_WITH(validate_bucket_name(bad), Catch::StartsWith("bucket: "));
  }
  CHECK_THROWS_AS(validate_bucket_name(std::string(64, 'a')), config_error);
  CHECK_NOTHROW(validate_bucket_name(std::string(63, 'a')));
}

TEST_CASE("bucket names S3 reserves are refused", "[endpoint]") {
  for (const char* reserved : {"xn--bucket", "sthree-bucket", "sthree-configurator", "amzn-s3-demo-bucket",
                               "bucket-s3alias", "bucket--ol-s3", "bucket.mrap", "bucket--x-s3", "bucket--table-s3"}) {
    INFO(reserved);
    CHECK_THROWS_WITH(validate_bucket_name(reserved), Catch::StartsWith("bucket: '") && Catch::Contains("reserved"));
  }
  // Only as a prefix or suffix.
  for (const char* good : {"my-xn--bucket", "my-sthree-bucket", "s3alias-bucket", "bucket-s3alias1", "ol-s3",
                           "bucket-ol-s3", "mrap.bucket", "x-s3"}) {
    INFO(good);
    CHECK_NOTHROW(validate_bucket_name(good));
  }
}

TEST_CASE("a bad bucket name is shown whole, control characters escaped", "[endpoint]") {
  const std::string with_nul("ab\0cd", 5);
  CHECK_THROWS_WITH(validate_bucket_name(with_nul),
                    "bucket: 'ab\\u0000cd' may hold only lower-case letters, digits, '.' and '-'");
  CHECK_THROWS_WITH(validate_bucket_name("a\nb\x7f"), Catch::StartsWith("bucket: 'a\\u000ab\\u007f' "));
}

TEST_CASE("the endpoint comes from the environment in SDK order", "[endpoint]") {
  s3co::testing::scoped_environment env;
  env.clear("S3_ENDPOINT_URL").clear("AWS_ENDPOINT_URL_S3").clear("AWS_ENDPOINT_URL");
  CHECK(resolve_s3_endpoint("eu-west-1").authority() == "s3.eu-west-1.amazonaws.com");
  env.set("AWS_ENDPOINT_URL", "http://generic:1");
  CHECK(resolve_s3_endpoint("eu-west-1").authority() == "generic:1");
  CHECK_FALSE(resolve_s3_endpoint("eu-west-1").is_aws);
  env.set("AWS_ENDPOINT_URL_S3", "http://s3-specific:2");
  CHECK(resolve_s3_endpoint("eu-west-1").authority() == "s3-specific:2");
  env.set("S3_ENDPOINT_URL", "not a url");
  CHECK_THROWS_WITH(resolve_s3_endpoint("eu-west-1"), Catch::StartsWith("S3_ENDPOINT_URL: 'not a url'"));
}
