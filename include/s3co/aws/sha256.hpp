// SHA-256 and HMAC-SHA-256 for SigV4, tuned for many small messages.
//
// OpenSSL 3's one-shot `EVP_Digest`/`HMAC` fetch the algorithm on every call,
// and EVP context copies allocate; SigV4 hashes a few hundred bytes per URL,
// so that overhead would dominate. The low-level SHA256_CTX is a plain struct:
// copying it is a memcpy, which makes an HMAC key with its inner and outer
// pad blocks absorbed once (`hmac_sha256_key`) reusable without allocation.
// The same SHA-NI/AVX code runs underneath (benchmarks/presign_bench.cpp
// compares the alternatives).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <openssl/sha.h>

#include "s3co/detail/text.hpp"

namespace s3co::aws {

using sha256_digest = std::array<unsigned char, 32>;

// Incremental SHA-256; a value type, cheap to copy (copying forks the state).
class sha256 {
 public:
  sha256() noexcept;
  sha256& update(std::string_view bytes) noexcept;
  sha256& update(std::span<const unsigned char> bytes) noexcept;
  sha256_digest finish() noexcept;

 private:
  SHA256_CTX state_;
};

sha256_digest sha256_of(std::string_view bytes) noexcept;

// An HMAC-SHA-256 key with both pad blocks already hashed: each `sign` costs
// only the message blocks plus one outer block.
class hmac_sha256_key {
 public:
  explicit hmac_sha256_key(std::span<const unsigned char> key) noexcept;
  explicit hmac_sha256_key(std::string_view key) noexcept;

  // A running MAC over a message given in pieces.
  class message {
   public:
    message& update(std::string_view bytes) noexcept {
      inner_.update(bytes);
      return *this;
    }
    sha256_digest finish() noexcept;

   private:
    friend class hmac_sha256_key;
    message(const sha256& inner, const sha256& outer) noexcept : inner_(inner), outer_(outer) {}
    sha256 inner_;
    sha256 outer_;
  };

  message begin() const noexcept { return message(inner_, outer_); }
  sha256_digest sign(std::string_view bytes) const noexcept { return begin().update(bytes).finish(); }

 private:
  sha256 inner_;
  sha256 outer_;
};

// Lower-case hex, as SigV4 wants it. `write_hex` writes 2 * size chars.
char* write_hex(char* out, std::span<const unsigned char> bytes) noexcept;
void append_hex(std::string& out, std::span<const unsigned char> bytes);
std::string to_hex(std::span<const unsigned char> bytes);

// ---------------------------------------------------------------------------

// SHA256_* are deprecated in OpenSSL 3 in favour of EVP, which is slower for
// our message sizes (see the header comment); silence only these calls.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

inline sha256::sha256() noexcept { SHA256_Init(&state_); }

inline sha256& sha256::update(std::string_view bytes) noexcept {
  SHA256_Update(&state_, bytes.data(), bytes.size());
  return *this;
}

inline sha256& sha256::update(std::span<const unsigned char> bytes) noexcept {
  SHA256_Update(&state_, bytes.data(), bytes.size());
  return *this;
}

inline sha256_digest sha256::finish() noexcept {
  sha256_digest digest;
  SHA256_Final(digest.data(), &state_);
  return digest;
}

#pragma GCC diagnostic pop

inline sha256_digest sha256_of(std::string_view bytes) noexcept { return sha256().update(bytes).finish(); }

inline hmac_sha256_key::hmac_sha256_key(std::span<const unsigned char> key) noexcept {
  constexpr std::size_t block_size = 64;
  std::array<unsigned char, block_size> block{};
  if (key.size() > block_size) {
    const auto digest = sha256_of(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
    std::copy(digest.begin(), digest.end(), block.begin());
  } else {
    std::copy(key.begin(), key.end(), block.begin());
  }
  std::array<unsigned char, block_size> pad;
  for (std::size_t i = 0; i < block_size; ++i) pad[i] = block[i] ^ 0x36;
  inner_.update(pad);
  for (std::size_t i = 0; i < block_size; ++i) pad[i] = block[i] ^ 0x5c;
  outer_.update(pad);
}

inline hmac_sha256_key::hmac_sha256_key(std::string_view key) noexcept
    : hmac_sha256_key(std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(key.data()), key.size())) {}

inline sha256_digest hmac_sha256_key::message::finish() noexcept {
  const sha256_digest inner_digest = inner_.finish();
  return outer_.update(inner_digest).finish();
}

inline char* write_hex(char* out, std::span<const unsigned char> bytes) noexcept {
  constexpr std::string_view digits = s3co::detail::lower_hex_digits;
  for (unsigned char byte : bytes) {
    *out++ = digits[byte >> 4];
    *out++ = digits[byte & 0x0f];
  }
  return out;
}

inline void append_hex(std::string& out, std::span<const unsigned char> bytes) {
  const std::size_t start = out.size();
  out.resize(start + bytes.size() * 2);
  write_hex(out.data() + start, bytes);
}

inline std::string to_hex(std::span<const unsigned char> bytes) {
  std::string out;
  append_hex(out, bytes);
  return out;
}

}  // namespace s3co::aws
