// Percent-encoding as SigV4 and S3 define it.
//
// Everything but the unreserved set `A-Za-z0-9-._~` is encoded as %XX with
// upper-case hex, byte by byte over the UTF-8 input. Object-key paths keep
// `/` literal and are encoded exactly once: no normalisation, so `//`, `.`
// and `..` segments reach S3 as the key has them.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "s3co/detail/text.hpp"

namespace s3co::aws {

enum class slash_handling { encode, keep };

// Appends `text` percent-encoded to `out`.
void append_uri_encoded(std::string& out, std::string_view text, slash_handling slashes = slash_handling::encode);

std::string uri_encoded(std::string_view text, slash_handling slashes = slash_handling::encode);

enum class plus_handling { literal, space };

// Decodes %XX escapes (either hex case). With `plus_handling::space`, `+`
// decodes to a space, as in S3's `encoding-type=url` listings from AWS.
// Returns nullopt for a malformed escape (`%` not followed by two hex digits).
std::optional<std::string> uri_decoded(std::string_view text, plus_handling plus = plus_handling::literal);

// ---------------------------------------------------------------------------

namespace detail {

constexpr std::array<bool, 256> make_unreserved_table() {
  std::array<bool, 256> table{};
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  table['-'] = table['.'] = table['_'] = table['~'] = true;
  return table;
}

inline constexpr std::array<bool, 256> unreserved = make_unreserved_table();

}  // namespace detail

inline void append_uri_encoded(std::string& out, std::string_view text, slash_handling slashes) {
  constexpr std::string_view digits = s3co::detail::upper_hex_digits;
  // Reserve for the worst case once, then write without re-checking capacity.
  const std::size_t start = out.size();
  out.resize(start + text.size() * 3);
  char* cursor = out.data() + start;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (detail::unreserved[byte] || (c == '/' && slashes == slash_handling::keep)) {
      *cursor++ = c;
    } else {
      *cursor++ = '%';
      *cursor++ = digits[byte >> 4];
      *cursor++ = digits[byte & 0x0f];
    }
  }
  out.resize(static_cast<std::size_t>(cursor - out.data()));
}

inline std::string uri_encoded(std::string_view text, slash_handling slashes) {
  std::string out;
  append_uri_encoded(out, text, slashes);
  return out;
}

inline std::optional<std::string> uri_decoded(std::string_view text, plus_handling plus) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (text.size() - i < 3) return std::nullopt;
      const int high = s3co::detail::hex_value(text[i + 1]);
      const int low = s3co::detail::hex_value(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else if (c == '+' && plus == plus_handling::space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace s3co::aws
