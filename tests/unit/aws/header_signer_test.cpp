#include "s3co/aws/header_signer.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace s3co::aws;
using namespace std::chrono;

// The examples of "Signature Calculations for the Authorization Header:
// Transferring Payload in a Single Chunk (AWS Signature Version 4)".
namespace {
const credentials example_credentials{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
const s3co::aws::utc_time_point example_time = sys_days{2013y / May / 24} + 0h;
constexpr std::string_view host = "examplebucket.s3.amazonaws.com";
const std::string credential_prefix =
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ";
}  // namespace

TEST_CASE("GET Object example", "[header-signer]") {
  header_signer signer(example_credentials, "us-east-1");
  const std::vector<header_field> headers{{"Range", "bytes=0-9"}};
  const auto signed_headers = signer.sign({http_method::get, host, "/test.txt", "", headers, empty_payload_sha256,
                                           example_time});
  CHECK(signed_headers.authorization ==
        credential_prefix +
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  CHECK(signed_headers.amz_date == "20130524T000000Z");
  CHECK(signed_headers.content_sha256 == empty_payload_sha256);
  CHECK(signed_headers.security_token.empty());
}

TEST_CASE("PUT Object example", "[header-signer]") {
  header_signer signer(example_credentials, "us-east-1");
  const std::string payload_hash = to_hex(sha256_of("Welcome to Amazon S3."));
  const std::vector<header_field> headers{{"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                                         {"x-amz-storage-class", "REDUCED_REDUNDANCY"}};
  const auto signed_headers =
      signer.sign({http_method::put, host, "/test%24file.text", "", headers, payload_hash, example_time});
  CHECK(signed_headers.authorization ==
        credential_prefix +
            "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, "
            "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST_CASE("GET Bucket Lifecycle example", "[header-signer]") {
  header_signer signer(example_credentials, "us-east-1");
  const auto query = canonical_query_string({{"lifecycle", ""}});
  CHECK(query == "lifecycle=");
  const auto signed_headers = signer.sign({http_method::get, host, "/", query, {}, empty_payload_sha256, example_time});
  CHECK(signed_headers.authorization ==
        credential_prefix +
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
            "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST_CASE("Get Bucket (List Objects) example", "[header-signer]") {
  header_signer signer(example_credentials, "us-east-1");
  const auto query = canonical_query_string({{"prefix", "J"}, {"max-keys", "2"}});
  CHECK(query == "max-keys=2&prefix=J");
  const auto signed_headers = signer.sign({http_method::get, host, "/", query, {}, empty_payload_sha256, example_time});
  CHECK(signed_headers.authorization ==
        credential_prefix +
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
            "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST_CASE("canonical query strings encode and sort", "[header-signer]") {
  CHECK(canonical_query_string({{"prefix", "a b/c"}, {"list-type", "2"}, {"continuation-token", "x+y="}}) ==
        "continuation-token=x%2By%3D&list-type=2&prefix=a%20b%2Fc");
  CHECK(canonical_query_string({}).empty());
}

TEST_CASE("a session token is sent and signed", "[header-signer]") {
  credentials temporary = example_credentials;
  temporary.session_token = "session-token";
  header_signer signer(temporary, "us-east-1");
  const auto signed_headers = signer.sign({http_method::get, host, "/test.txt", "", {}, unsigned_payload, example_time});
  CHECK(signed_headers.security_token == "session-token");
  CHECK_THAT(signed_headers.authorization,
             Catch::Contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"));
}

TEST_CASE("header values are trimmed and inner spaces collapsed", "[header-signer]") {
  header_signer signer(example_credentials, "us-east-1");
  const std::vector<header_field> spaced{{"X-Amz-Meta-Note", "  a   b  "}};
  const std::vector<header_field> tidy{{"x-amz-meta-note", "a b"}};
  CHECK(signer.sign({http_method::get, host, "/k", "", spaced, unsigned_payload, example_time}).authorization ==
        signer.sign({http_method::get, host, "/k", "", tidy, unsigned_payload, example_time}).authorization);
}

TEST_CASE("headers the signer owns, bad names and values with CR LF or NUL are refused", "[header-signer]") {
  header_signer signer(example_credentials, "us-east-1");
  const auto sign_with = [&](header_field header) {
    const std::vector<header_field> headers{std::move(header)};
    return signer.sign({http_method::get, host, "/k", "", headers, unsigned_payload, example_time});
  };
  for (const char* owned : {"Host", "X-Amz-Date", "x-amz-content-sha256", "X-Amz-Security-Token", "Authorization"}) {
    CAPTURE(owned);
    CHECK_THROWS_WITH(sign_with({owned, "value"}), Catch::Contains("is set by the signer"));
  }
  CHECK_THROWS_AS(sign_with({"x-amz-meta-note", "a\r\nx-amz-meta-evil: 1"}), config_error);
  CHECK_THROWS_AS(sign_with({"x-amz-meta-note", "a\nb"}), config_error);
  CHECK_THROWS_AS(sign_with({"x-amz-meta-note", std::string("a\0b", 3)}), config_error);
  CHECK_THROWS_AS(sign_with({"bad name", "v"}), config_error);
  CHECK_THROWS_AS(sign_with({"", "v"}), config_error);
  // A header that is merely spelled oddly is fine.
  CHECK_NOTHROW(sign_with({"X-Amz-Meta-Tab", "a\tb"}));
}
