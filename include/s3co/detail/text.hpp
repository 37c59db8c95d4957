// Byte-level text helpers every layer uses: ASCII case, hex digits, fixed-width
// decimal digits. Locale-free and allocation-free (but for lower_ascii's
// result), because they sit on signing and logging hot paths. Not public API.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

namespace s3co::detail {

inline constexpr std::string_view lower_hex_digits = "0123456789abcdef";
inline constexpr std::string_view upper_hex_digits = "0123456789ABCDEF";

constexpr char to_lower_ascii(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

inline std::string lower_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = to_lower_ascii(c);
  return out;
}

constexpr bool equals_ignoring_ascii_case(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return to_lower_ascii(x) == to_lower_ascii(y); });
}

constexpr bool ends_with_ignoring_ascii_case(std::string_view text, std::string_view suffix) noexcept {
  return text.size() >= suffix.size() && equals_ignoring_ascii_case(text.substr(text.size() - suffix.size()), suffix);
}

// The value of a hex digit (either case), or -1.
constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Writes `value` as exactly `width` decimal digits (zero-padded, high digits
// dropped) and returns the end.
constexpr char* write_digits(char* cursor, unsigned value, int width) noexcept {
  for (int i = width - 1; i >= 0; --i) {
    cursor[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return cursor + width;
}

}  // namespace s3co::detail
