// Byte-level text helpers every layer uses: ASCII case, hex digits, fixed-width
// decimal digits, UTF-8 sequences. Locale-free and allocation-free (but for lower_ascii's
// result), because they sit on signing and logging hot paths. Not public API.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
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

// For each lead byte: the sequence length (0: never a lead byte) and the
// range its second byte must fall in. The narrowed ranges are what exclude
// overlongs (E0, F0), surrogates (ED) and code points above U+10FFFF (F4);
// C0, C1 and F5..FF are never valid (Unicode 15, table 3-7).
struct utf8_lead {
  std::uint8_t length;
  std::uint8_t second_min;
  std::uint8_t second_max;
};

constexpr std::array<utf8_lead, 256> make_utf8_leads() {
  std::array<utf8_lead, 256> table{};
  for (int c = 0; c < 0x80; ++c) table[c] = {1, 0, 0};
  for (int c = 0xC2; c <= 0xDF; ++c) table[c] = {2, 0x80, 0xBF};
  for (int c = 0xE0; c <= 0xEF; ++c) table[c] = {3, 0x80, 0xBF};
  table[0xE0] = {3, 0xA0, 0xBF};
  table[0xED] = {3, 0x80, 0x9F};
  for (int c = 0xF0; c <= 0xF4; ++c) table[c] = {4, 0x80, 0xBF};
  table[0xF0] = {4, 0x90, 0xBF};
  table[0xF4] = {4, 0x80, 0x8F};
  return table;
}

inline constexpr std::array<utf8_lead, 256> utf8_leads = make_utf8_leads();

// The length of the valid UTF-8 sequence starting at `p` (p < end), or 0.
inline std::size_t utf8_sequence_length(const unsigned char* p, const unsigned char* end) noexcept {
  const utf8_lead lead = utf8_leads[*p];
  const std::size_t length = lead.length;
  if (length < 2) return length;
  if (static_cast<std::size_t>(end - p) < length) return 0;
  // One unsigned compare per range, unrolled by length.
  const bool second_ok = static_cast<unsigned char>(p[1] - lead.second_min) <=
                         static_cast<unsigned char>(lead.second_max - lead.second_min);
  switch (length) {
    case 2: return second_ok ? 2 : 0;
    case 3: return second_ok && (p[2] & 0xC0) == 0x80 ? 3 : 0;
    default: return second_ok && (p[2] & 0xC0) == 0x80 && (p[3] & 0xC0) == 0x80 ? 4 : 0;
  }
}

}  // namespace s3co::detail
