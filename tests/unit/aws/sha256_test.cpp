#include "s3co/aws/sha256.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace s3co::aws;

TEST_CASE("sha256 matches the FIPS 180-2 vectors", "[sha256]") {
  CHECK(to_hex(sha256_of("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(to_hex(sha256_of("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(to_hex(sha256_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("sha256 in pieces equals sha256 at once, and copies fork the state", "[sha256]") {
  const std::string text(1000, 'x');
  sha256 pieces;
  for (std::size_t i = 0; i < text.size(); i += 7) pieces.update(std::string_view(text).substr(i, 7));
  sha256 fork = pieces;
  CHECK(pieces.finish() == sha256_of(text));
  fork.update("y");
  CHECK(fork.finish() == sha256_of(text + "y"));
}

TEST_CASE("hmac-sha256 matches RFC 4231", "[sha256]") {
  SECTION("test case 1") {
    const std::string key(20, '\x0b');
    CHECK(to_hex(hmac_sha256_key(key).sign("Hi There")) ==
          "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  }
  SECTION("test case 2") {
    CHECK(to_hex(hmac_sha256_key(std::string("Jefe")).sign("what do ya want for nothing?")) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  }
  SECTION("test case 6: a key longer than one block is hashed first") {
    const std::string key(131, '\xaa');
    CHECK(to_hex(hmac_sha256_key(key).sign("Test Using Larger Than Block-Size Key - Hash Key First")) ==
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  }
  SECTION("a key is reusable: signing twice gives the same MAC") {
    const hmac_sha256_key key(std::string("Jefe"));
    CHECK(key.sign("a") == key.sign("a"));
    CHECK(key.sign("a") != key.sign("b"));
    CHECK(key.begin().update("wh").update("at do ya want for nothing?").finish() ==
          key.sign("what do ya want for nothing?"));
  }
}
