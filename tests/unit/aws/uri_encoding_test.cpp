#include "s3co/aws/uri_encoding.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace s3co::aws;

TEST_CASE("uri encoding keeps only the unreserved set", "[uri]") {
  CHECK(uri_encoded("AZaz09-._~") == "AZaz09-._~");
  CHECK(uri_encoded("a b+c") == "a%20b%2Bc");
  CHECK(uri_encoded("a/b") == "a%2Fb");
  CHECK(uri_encoded("a/b", slash_handling::keep) == "a/b");
  CHECK(uri_encoded(";=&@:,$!'*()[]%") == "%3B%3D%26%40%3A%2C%24%21%27%2A%28%29%5B%5D%25");
  CHECK(uri_encoded("\t\x01\x7f") == "%09%01%7F");
  CHECK(uri_encoded("é€😀") == "%C3%A9%E2%82%AC%F0%9F%98%80");
}

TEST_CASE("uri encoding of paths never normalises", "[uri]") {
  CHECK(uri_encoded("//a/./b/../c/", slash_handling::keep) == "//a/./b/../c/");
  CHECK(uri_encoded("%2F", slash_handling::keep) == "%252F");
}

TEST_CASE("uri decoding", "[uri]") {
  CHECK(uri_decoded("a%20b%2bc%2F") == "a b+c/");
  CHECK(uri_decoded("a+b") == "a+b");
  CHECK(uri_decoded("a+b", plus_handling::space) == "a b");
  CHECK(uri_decoded("%e2%82%AC") == "€");
  CHECK_FALSE(uri_decoded("%"));
  CHECK_FALSE(uri_decoded("%2"));
  CHECK_FALSE(uri_decoded("abc%"));
  CHECK_FALSE(uri_decoded("%zz"));
  CHECK_FALSE(uri_decoded("%2g"));
}

TEST_CASE("uri decoding undoes encoding for any bytes", "[uri]") {
  std::mt19937 random(7);
  for (int round = 0; round < 2000; ++round) {
    std::string text(random() % 64, '\0');
    for (char& c : text) c = static_cast<char>(random() & 0xff);
    CHECK(uri_decoded(uri_encoded(text)) == text);
    CHECK(uri_decoded(uri_encoded(text, slash_handling::keep)) == text);
  }
}
