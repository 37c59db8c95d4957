// JSON string literals from raw bytes, with strict UTF-8 validation.
//
// Escaping follows RFC 8259: `"` and `\` get a backslash, control characters
// below 0x20 become \b \f \n \r \t or \u00XX, U+2028 and U+2029 become
// \u2028 and \u2029 (JSON allows them raw, but JavaScript before ES2019 and
// Python's str.splitlines() end lines at them, so one JSONL record would read
// as several), and everything else is copied as is (DEL and other valid
// non-ASCII UTF-8 stay raw, so a line stays readable and short). Input that is not valid UTF-8 (a stray continuation byte, a bad or
// truncated sequence, an overlong form, an encoded surrogate U+D800..DFFF, a
// code point above U+10FFFF) is refused: the checked functions report it and
// leave the output exactly as it was, so a caller never emits a corrupt line.
// Where a line must be written whatever it holds (logs), the `_lossy` form
// writes U+FFFD for each maximal invalid subpart instead.
//
// The scan is table-driven: runs of bytes that need no escaping (plain ASCII
// eight at a time, valid multi-byte sequences as they come) are appended with
// one `append` each. Nothing here allocates beyond the growth of `out`.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

#include "s3co/detail/text.hpp"

namespace s3co::sinks {

// Appends `text` as a quoted JSON string. Returns false, with `out`
// unchanged, when `text` is not valid UTF-8.
[[nodiscard]] bool append_json_string(std::string& out, std::string_view text);

// The same without the surrounding quotes, for a string built from pieces.
[[nodiscard]] bool append_json_escaped(std::string& out, std::string_view text);

// Appends `text` as a quoted JSON string, writing U+FFFD for each maximal
// invalid subpart (as Unicode recommends); never fails.
void append_json_string_lossy(std::string& out, std::string_view text);

// The offset of the first byte of the first invalid sequence, or npos.
std::size_t find_invalid_utf8(std::string_view text) noexcept;
bool is_valid_utf8(std::string_view text) noexcept;

// What the throwing form reports: where the bad bytes start. The message
// never quotes the text (it may be a secret, and it is not printable).
class invalid_utf8_error : public std::invalid_argument {
 public:
  explicit invalid_utf8_error(std::size_t offset)
      : std::invalid_argument(std::string("invalid UTF-8 at byte ").append(std::to_string(offset))), offset_(offset) {}

  std::size_t offset() const noexcept { return offset_; }

 private:
  std::size_t offset_;
};

// `text` as a quoted JSON string; throws invalid_utf8_error.
std::string json_string(std::string_view text);

// ---------------------------------------------------------------------------

namespace detail {

enum byte_class : std::uint8_t { plain = 0, needs_escape = 1, non_ascii = 2 };

constexpr std::array<std::uint8_t, 256> make_byte_classes() {
  std::array<std::uint8_t, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = needs_escape;
  table['"'] = table['\\'] = needs_escape;
  for (int c = 0x80; c < 0x100; ++c) table[c] = non_ascii;
  return table;
}

inline constexpr std::array<std::uint8_t, 256> byte_classes = make_byte_classes();

// U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR: E2 80 A8 and E2 80 A9.
inline bool is_line_separator(const unsigned char* sequence) noexcept {
  return sequence[0] == 0xE2 && sequence[1] == 0x80 && (sequence[2] & 0xFE) == 0xA8;
}

// The length of the maximal subpart of an invalid sequence at `p`: the bytes
// that could still have begun a valid sequence, at least one.
inline std::size_t invalid_sequence_length(const unsigned char* p, const unsigned char* end) noexcept {
  const s3co::detail::utf8_lead lead = s3co::detail::utf8_leads[*p];
  const auto available = static_cast<std::size_t>(end - p);
  if (lead.length < 2 || available < 2 || p[1] < lead.second_min || p[1] > lead.second_max) return 1;
  std::size_t i = 2;
  while (i < lead.length && i < available && (p[i] & 0xC0) == 0x80) ++i;
  return i;
}

inline std::uint64_t load_word(const unsigned char* p) noexcept {
  std::uint64_t word;
  std::memcpy(&word, p, sizeof word);
  return word;
}

// Whether any of the eight bytes is non-ASCII, a control character, `"` or
// `\` (exact as a yes/no answer; the classic SWAR zero-byte tests).
inline bool word_needs_attention(std::uint64_t word) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t highs = 0x8080808080808080ULL;
  const std::uint64_t below_space = (word - ones * 0x20) & ~word;
  const std::uint64_t quote = word ^ (ones * '"');
  const std::uint64_t backslash = word ^ (ones * '\\');
  const std::uint64_t quote_zero = (quote - ones) & ~quote;
  const std::uint64_t backslash_zero = (backslash - ones) & ~backslash;
  return ((word | below_space | quote_zero | backslash_zero) & highs) != 0;
}

inline void append_escape(std::string& out, unsigned char c) {
  constexpr std::string_view hex = s3co::detail::lower_hex_digits;
  switch (c) {
    case '"': out.append("\\\"", 2); return;
    case '\\': out.append("\\\\", 2); return;
    case '\b': out.append("\\b", 2); return;
    case '\f': out.append("\\f", 2); return;
    case '\n': out.append("\\n", 2); return;
    case '\r': out.append("\\r", 2); return;
    case '\t': out.append("\\t", 2); return;
    default: {
      const char escape[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0x0f]};
      out.append(escape, sizeof escape);
    }
  }
}

// The one scanner behind every public form. Returns false at the first
// invalid sequence (strict) with part of `text` already appended: callers
// roll `out` back.
template <bool Lossy>
bool append_escaped(std::string& out, std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* const end = p + text.size();
  const auto* run = p;  // the first byte not yet appended
  auto flush_run = [&](const unsigned char* upto) {
    if (upto != run) out.append(reinterpret_cast<const char*>(run), static_cast<std::size_t>(upto - run));
  };
  while (p != end) {
    while (end - p >= 8 && !word_needs_attention(load_word(p))) p += 8;
    if (p == end) break;
    const unsigned char c = *p;
    const std::uint8_t kind = byte_classes[c];
    if (kind == plain) {
      ++p;
    } else if (kind == non_ascii) {
      // Non-ASCII text tends to come in words: stay here while it lasts.
      do {
        if (const std::size_t length = s3co::detail::utf8_sequence_length(p, end)) {
          if (length == 3 && is_line_separator(p)) {
            flush_run(p);
            out.append(p[2] == 0xA8 ? "\\u2028" : "\\u2029", 6);
            run = p + 3;
          }
          p += length;
        } else if constexpr (Lossy) {
          flush_run(p);
          out.append("\xEF\xBF\xBD", 3);
          p += invalid_sequence_length(p, end);
          run = p;
        } else {
          return false;
        }
      } while (p != end && *p >= 0x80);
    } else {
      flush_run(p);
      append_escape(out, c);
      run = ++p;
    }
  }
  flush_run(end);
  return true;
}

}  // namespace detail

inline bool append_json_escaped(std::string& out, std::string_view text) {
  const std::size_t mark = out.size();
  if (detail::append_escaped<false>(out, text)) return true;
  out.resize(mark);
  return false;
}

inline bool append_json_string(std::string& out, std::string_view text) {
  const std::size_t mark = out.size();
  out.push_back('"');
  if (detail::append_escaped<false>(out, text)) {
    out.push_back('"');
    return true;
  }
  out.resize(mark);
  return false;
}

inline void append_json_string_lossy(std::string& out, std::string_view text) {
  out.push_back('"');
  detail::append_escaped<true>(out, text);
  out.push_back('"');
}

inline std::size_t find_invalid_utf8(std::string_view text) noexcept {
  const auto* const begin = reinterpret_cast<const unsigned char*>(text.data());
  const auto* const end = begin + text.size();
  const auto* p = begin;
  while (p != end) {
    while (end - p >= 8 && (detail::load_word(p) & 0x8080808080808080ULL) == 0) p += 8;
    if (p == end) break;
    const std::size_t length = s3co::detail::utf8_sequence_length(p, end);
    if (length == 0) return static_cast<std::size_t>(p - begin);
    p += length;
  }
  return std::string_view::npos;
}

inline bool is_valid_utf8(std::string_view text) noexcept { return find_invalid_utf8(text) == std::string_view::npos; }

inline std::string json_string(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  if (!append_json_string(out, text)) throw invalid_utf8_error(find_invalid_utf8(text));
  return out;
}

}  // namespace s3co::sinks
