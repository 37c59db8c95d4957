// Tests for include/s3co/http/message.hpp: what a request says about itself
// in logs and errors, header lookup, and the transport error type.
#include <catch2/catch.hpp>

#include <string>

#include "s3co/http/message.hpp"

namespace http = s3co::http;

TEST_CASE("request describe names method scheme authority and path only", "[http][message]") {
  http::request req;
  req.method = http::http_method::put;
  req.scheme = "https";
  req.host = "bucket.s3.example.com";
  req.authority = "bucket.s3.example.com:8443";
  req.target = "/dir/key%20name?X-Amz-Signature=SECRETSIG&X-Amz-Credential=AKIDSECRET";
  req.headers.push_back({"Authorization", "SECRETAUTH"});
  CHECK(req.describe() == "PUT https://bucket.s3.example.com:8443/dir/key%20name");

  req.target = "/no-query";
  CHECK(req.describe() == "PUT https://bucket.s3.example.com:8443/no-query");
  req.method = http::http_method::delete_;
  req.target = "/?uploads";
  CHECK(req.describe() == "DELETE https://bucket.s3.example.com:8443/");
}

TEST_CASE("response header lookup is case-insensitive and takes the first match", "[http][message]") {
  http::response answer;
  answer.status = 404;
  answer.headers = {{"Content-Type", "application/xml"}, {"x-amz-request-id", "first"}, {"X-Amz-Request-Id", "second"}};
  CHECK(answer.header("content-type") == "application/xml");
  CHECK(answer.header("X-AMZ-REQUEST-ID") == "first");
  CHECK(answer.header("Date").empty());
  CHECK(answer.header("").empty());
  CHECK_FALSE(answer.ok());
  answer.status = 200;
  CHECK(answer.ok());
  answer.status = 299;
  CHECK(answer.ok());
  answer.status = 300;
  CHECK_FALSE(answer.ok());
}

TEST_CASE("transport_error carries its code message and attempts", "[http][message]") {
  const http::transport_error error(std::make_error_code(std::errc::connection_reset), "GET http://h/p",
                                    "GET http://h/p failed after 3 attempts", 3, true);
  CHECK(error.attempts() == 3);
  CHECK(error.system_code() == std::errc::connection_reset);
  CHECK(std::string(error.what()).find("GET http://h/p failed after 3 attempts: ") == 0);
  // The common base carries what a caller acts on.
  const s3co::error& base = error;
  CHECK(base.operation() == "GET http://h/p");
  CHECK(base.retryable());
  CHECK(base.status() == 0);
  CHECK(base.code().empty());
  CHECK(base.attempts() == 3);
}
