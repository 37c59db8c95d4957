#include "s3co/aws/signing_key.hpp"

#include <catch2/catch.hpp>

using namespace s3co::aws;

TEST_CASE("signing key derivation matches AWS's published example", "[signing-key]") {
  // From the SigV4 documentation ("Examples of how to derive a signing key").
  CHECK(to_hex(derive_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")) ==
        "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST_CASE("the signing key is derived once per date", "[signing-key]") {
  signing_key_cache cache("AKID", "secret", "us-east-1", "s3");
  const auto& first = cache.for_date("20130524");
  CHECK(first.scope == "20130524/us-east-1/s3/aws4_request");
  CHECK(first.credential == "AKID/20130524/us-east-1/s3/aws4_request");
  CHECK(first.encoded_credential == "AKID%2F20130524%2Fus-east-1%2Fs3%2Faws4_request");
  for (int i = 0; i < 100; ++i) cache.for_date("20130524");
  CHECK(cache.derivations() == 1);
  CHECK(cache.for_date("20130525").scope == "20130525/us-east-1/s3/aws4_request");
  CHECK(cache.derivations() == 2);
  const auto expected = hmac_sha256_key(derive_signing_key("secret", "20130525", "us-east-1", "s3")).sign("x");
  CHECK(cache.for_date("20130525").key.sign("x") == expected);
}
