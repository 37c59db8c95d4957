// Where a listing will be some pages from now: the split-point guess of the
// parallel lister (parallel_lister.hpp), from one page of keys.
//
// S3 lists keys in bytewise order, and nothing says how they are spread. A
// page of keys shows it locally: the characters each position takes and how
// far one page reaches. key_density reads the positions where the page's
// keys differ (with the run of letters and digits before them, so that a
// carry has somewhere to go: "file-000999" + 1 page is "file-001999"), gives
// each position the characters its keys use there (and, where they are few,
// the letters and digits used where the keys differ: the "000" before
// "999" is read as decimal, before "9f" as hex), and
// reads a key as a number in that mixed radix. A page then spans some
// amount of that number, and "n pages past key k" is k plus n spans, turned
// back into a key.
//
// It is a guess: a wrong one costs a request (a range that turns out empty)
// or a range longer than planned (which the lister splits again), never a
// key. Callers only rely on the answer being strictly after the position
// and valid UTF-8 without control characters, as a start-after should be.
// A value type: the guess owns copies of what it read.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "s3co/detail/text.hpp"

namespace s3co::s3::detail {

namespace key_density_detail {

inline bool is_alnum(unsigned char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

inline std::size_t common_prefix(std::string_view a, std::string_view b) noexcept {
  const std::size_t limit = std::min(a.size(), b.size());
  std::size_t i = 0;
  while (i < limit && a[i] == b[i]) ++i;
  return i;
}

// The longest prefix of `text` that is valid UTF-8 without control characters.
inline std::string_view printable_utf8_prefix(std::string_view text) noexcept {
  const auto* const begin = reinterpret_cast<const unsigned char*>(text.data());
  const auto* const end = begin + text.size();
  const auto* p = begin;
  while (p != end && *p >= 0x20 && *p != 0x7f) {
    const std::size_t length = s3co::detail::utf8_sequence_length(p, end);
    if (length == 0) break;
    p += length;
  }
  return text.substr(0, static_cast<std::size_t>(p - begin));
}

}  // namespace key_density_detail

class key_density {
 public:
  // From a page's keys, in listing order (at least one), and the position
  // the page was listed after (start-after or the previous page's last key;
  // empty at the start of a listing). Nullopt when the page shows nothing
  // to extrapolate from.
  static std::optional<key_density> from_page(std::span<const std::string_view> keys,
                                              std::string_view listed_after);

  // A key about `pages` pages past `position` (which should share the
  // page's leading bytes), strictly after it; nullopt when there is none.
  std::optional<std::string> ahead(std::string_view position, double pages) const;

  // About how many pages lie from `from` to `to` (0 when `to` is not after
  // it; infinity when they differ before the positions the guess reads).
  double pages_between(std::string_view from, std::string_view to) const {
    if (key_density_detail::common_prefix(from, to) < first_) {
      return to > from ? std::numeric_limits<double>::infinity() : 0.0;
    }
    return static_cast<double>(std::max(0.0L, (value_of(to) - value_of(from)) / span_per_page_));
  }

 private:
  static constexpr std::size_t max_positions = 12;  // 62^12 still fits a long double's mantissa
  static constexpr std::size_t max_carry_run = 8;   // letters and digits taken before the first difference
  static constexpr std::size_t min_observed_alphabet = 8;

  long double value_of(std::string_view key) const;
  std::string key_of(std::string_view position, long double value) const;

  std::size_t first_ = 0;                  // the first position read
  std::vector<std::string> alphabets_{};   // per position from first_, sorted
  long double span_per_page_ = 0;
};

// ---------------------------------------------------------------------------

inline std::optional<key_density> key_density::from_page(std::span<const std::string_view> keys,
                                                         std::string_view listed_after) {
  namespace kd = key_density_detail;
  if (keys.empty()) return std::nullopt;
  const std::string_view first_key = keys.front();
  const std::string_view last_key = keys.back();
  // With two keys or more the page's own first and last show its spread;
  // with one, the distance from where it was listed after.
  const std::string_view reference = keys.size() >= 2 ? first_key : listed_after;
  std::size_t differ = kd::common_prefix(reference, last_key);
  if (differ >= last_key.size()) return std::nullopt;
  std::size_t first = differ;
  while (first > 0 && differ - first < max_carry_run && kd::is_alnum(static_cast<unsigned char>(last_key[first - 1]))) {
    --first;
  }

  key_density density;
  density.first_ = first;
  std::size_t longest = 0;
  for (const std::string_view key : keys) longest = std::max(longest, key.size());
  const std::size_t end = std::min(longest, first + max_positions);
  density.alphabets_.resize(end - first);
  // Pass 1: the characters the page shows at each position, and the letters
  // and digits it shows where its keys differ.
  std::vector<std::array<bool, 256>> seen(end - first);
  std::array<bool, 256> varying_alnum{};
  for (std::size_t position = first; position < end; ++position) {
    auto& here = seen[position - first];
    for (const std::string_view key : keys) {
      if (position < key.size()) here[static_cast<unsigned char>(key[position])] = true;
    }
    if (position < reference.size()) here[static_cast<unsigned char>(reference[position])] = true;
    if (std::count(here.begin(), here.end(), true) >= 2) {
      for (int c = 0; c < 256; ++c) varying_alnum[c] = varying_alnum[c] || (here[c] && kd::is_alnum(static_cast<unsigned char>(c)));
    }
  }
  // A page too small to show any (one key): letters and digits of the
  // classes it does show.
  if (std::find(varying_alnum.begin(), varying_alnum.end(), true) == varying_alnum.end()) {
    for (const auto& here : seen) {
      for (int c = 0; c < 256; ++c) {
        if (!here[c] || !kd::is_alnum(static_cast<unsigned char>(c))) continue;
        const bool upper = c >= 'A' && c <= 'Z';
        for (int other = 0; other < 256; ++other) {
          const auto o = static_cast<unsigned char>(other);
          if (kd::is_alnum(o) && (upper == (o >= 'A' && o <= 'Z'))) varying_alnum[other] = true;
        }
      }
    }
  }
  // Pass 2: a position read with many characters takes just those (hex
  // names: 16); one with few letters or digits also takes those the varying
  // positions use, so that a carry into it lands on a plausible character.
  for (std::size_t position = first; position < end; ++position) {
    const auto& here = seen[position - first];
    const bool many = static_cast<std::size_t>(std::count(here.begin(), here.end(), true)) >= min_observed_alphabet;
    bool alnum = false;
    for (int c = 0; c < 256; ++c) alnum = alnum || (here[c] && kd::is_alnum(static_cast<unsigned char>(c)));
    std::string& alphabet = density.alphabets_[position - first];
    for (int c = 0; c < 256; ++c) {
      if (here[c] || (!many && alnum && varying_alnum[c])) alphabet.push_back(static_cast<char>(c));
    }
  }

  const long double spread = density.value_of(last_key) - density.value_of(reference);
  if (!(spread > 0)) return std::nullopt;
  // n keys span n - 1 gaps; a page moves on by n of them.
  density.span_per_page_ =
      keys.size() >= 2 ? spread * static_cast<long double>(keys.size()) / static_cast<long double>(keys.size() - 1)
                       : spread;
  return density;
}

inline long double key_density::value_of(std::string_view key) const {
  long double value = 0;
  for (std::size_t i = 0; i < alphabets_.size(); ++i) {
    const std::string& alphabet = alphabets_[i];
    const std::size_t position = first_ + i;
    std::size_t digit = 0;
    if (position < key.size()) {
      const auto c = static_cast<unsigned char>(key[position]);
      const auto at = std::lower_bound(alphabet.begin(), alphabet.end(), c,
                                       [](char a, unsigned char b) { return static_cast<unsigned char>(a) < b; });
      digit = std::min<std::size_t>(static_cast<std::size_t>(at - alphabet.begin()), alphabet.size() - 1);
    }
    value = value * static_cast<long double>(alphabet.size()) + static_cast<long double>(digit);
  }
  return value;
}

inline std::string key_density::key_of(std::string_view position, long double value) const {
  std::string digits(alphabets_.size(), '\0');
  for (std::size_t i = alphabets_.size(); i-- > 0;) {
    const auto base = static_cast<long double>(alphabets_[i].size());
    const long double quotient = std::floor(value / base);
    const auto digit = static_cast<std::size_t>(std::clamp(value - quotient * base, 0.0L, base - 1));
    digits[i] = alphabets_[i][digit];
    value = quotient;
  }
  std::string key(position.substr(0, first_));
  key += digits;
  return key;
}

inline std::optional<std::string> key_density::ahead(std::string_view position, double pages) const {
  if (position.size() < first_ || !(pages > 0)) return std::nullopt;
  long double capacity = 1;
  for (const std::string& alphabet : alphabets_) capacity *= static_cast<long double>(alphabet.size());
  // Past the last value the positions can hold: the largest one (the rest
  // of the listing there is the next range's).
  const long double target = std::min(value_of(position) + span_per_page_ * pages, capacity - 1);
  std::string key = key_of(position, target);
  key.resize(key_density_detail::printable_utf8_prefix(key).size());
  if (key <= position) return std::nullopt;
  return key;
}

}  // namespace s3co::s3::detail
