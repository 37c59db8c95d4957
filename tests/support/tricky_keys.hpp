// Deterministic object keys that exercise every corner of S3 key encoding:
// spaces, '+', '~', '%', sub-delimiters, brackets, '//', '.' and '..'
// segments, tabs, 2-, 3- and 4-byte UTF-8, and keys of exactly 1024 bytes.
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace s3co::testing {

inline std::vector<std::string> tricky_keys(std::size_t count, std::uint32_t seed = 2013) {
  static constexpr std::array<std::string_view, 34> fragments{
      "report", "Z9", " ", "+", "~", "%", "%20", ";", "=", "&", "@", ":", ",", "$", "!", "'", "*", "(", ")",
      "[", "]", "//", "..", "/../", "./", "\t", "é", "€", "😀", "日本", "/", ".", "-", "_"};
  std::mt19937 random(seed);
  std::vector<std::string> keys;
  keys.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    std::string key;
    if (i % 97 == 3) {
      // Exactly 1024 bytes, still valid UTF-8: multi-byte fragments, then ASCII padding.
      while (key.size() < 1000) key += fragments[26 + random() % 4];
      key.append(1024 - key.size(), 'x');
    } else {
      const std::size_t parts = 1 + random() % 8;
      for (std::size_t p = 0; p < parts; ++p) key += fragments[random() % fragments.size()];
      if (i % 5 == 0) key += ".pdf";
    }
    keys.push_back(std::move(key));
  }
  keys.push_back("test.txt");
  keys.push_back("/leading-slash");
  keys.push_back("a//b/./c/../d");
  return keys;
}

inline std::string hex_of(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    out.push_back(digits[static_cast<unsigned char>(c) >> 4]);
    out.push_back(digits[static_cast<unsigned char>(c) & 0x0f]);
  }
  return out;
}

}  // namespace s3co::testing
