// SigV4 timestamps: `YYYYMMDDTHHMMSSZ` (X-Amz-Date) and its `YYYYMMDD` prefix
// (the credential scope date), always UTC, formatted without locale or
// printf machinery because a presign is only a few hundred nanoseconds.
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <string_view>

#include "s3co/detail/text.hpp"

namespace s3co::aws {

// (Not `utc_time_point`: that would clash with std::chrono's under `using namespace`.)
using utc_time_point = std::chrono::system_clock::time_point;

// A formatted X-Amz-Date; `date()` is the first eight characters.
class amz_timestamp {
 public:
  explicit amz_timestamp(utc_time_point when) noexcept;

  std::string_view text() const noexcept { return {text_.data(), text_.size()}; }
  std::string_view date() const noexcept { return text().substr(0, 8); }

 private:
  std::array<char, 16> text_;
};

// Parses `YYYYMMDDTHHMMSSZ`; nullopt when the text is not exactly that form
// or names an impossible date or time.
std::optional<utc_time_point> parse_amz_timestamp(std::string_view text) noexcept;

// Parses an HTTP date (RFC 7231 IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`),
// as servers send in `Date`; nullopt for anything else.
std::optional<utc_time_point> parse_http_date(std::string_view text) noexcept;

// ---------------------------------------------------------------------------

namespace detail {

using s3co::detail::write_digits;

inline std::optional<unsigned> read_digits(std::string_view text) noexcept {
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value;
}

}  // namespace detail

inline amz_timestamp::amz_timestamp(utc_time_point when) noexcept {
  using namespace std::chrono;
  const auto day = floor<days>(when);
  const year_month_day ymd{day};
  const hh_mm_ss time_of_day{floor<seconds>(when - day)};
  char* cursor = text_.data();
  cursor = detail::write_digits(cursor, static_cast<unsigned>(static_cast<int>(ymd.year())), 4);
  cursor = detail::write_digits(cursor, static_cast<unsigned>(ymd.month()), 2);
  cursor = detail::write_digits(cursor, static_cast<unsigned>(ymd.day()), 2);
  *cursor++ = 'T';
  cursor = detail::write_digits(cursor, static_cast<unsigned>(time_of_day.hours().count()), 2);
  cursor = detail::write_digits(cursor, static_cast<unsigned>(time_of_day.minutes().count()), 2);
  cursor = detail::write_digits(cursor, static_cast<unsigned>(time_of_day.seconds().count()), 2);
  *cursor = 'Z';
}

inline std::optional<utc_time_point> parse_amz_timestamp(std::string_view text) noexcept {
  using namespace std::chrono;
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return std::nullopt;
  const auto year = detail::read_digits(text.substr(0, 4));
  const auto month = detail::read_digits(text.substr(4, 2));
  const auto day = detail::read_digits(text.substr(6, 2));
  const auto hour = detail::read_digits(text.substr(9, 2));
  const auto minute = detail::read_digits(text.substr(11, 2));
  const auto second = detail::read_digits(text.substr(13, 2));
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  const year_month_day ymd{std::chrono::year{static_cast<int>(*year)}, std::chrono::month{*month},
                           std::chrono::day{*day}};
  if (!ymd.ok() || *hour > 23 || *minute > 59 || *second > 59) return std::nullopt;
  return utc_time_point{sys_days{ymd} + hours{*hour} + minutes{*minute} + seconds{*second}};
}

inline std::optional<utc_time_point> parse_http_date(std::string_view text) noexcept {
  using namespace std::chrono;
  // "Sun, 06 Nov 1994 08:49:37 GMT": fixed positions.
  if (text.size() != 29 || text[3] != ',' || text[4] != ' ' || text[7] != ' ' || text[11] != ' ' ||
      text[16] != ' ' || text[19] != ':' || text[22] != ':' || text.substr(25) != " GMT") {
    return std::nullopt;
  }
  constexpr std::string_view months = "JanFebMarAprMayJunJulAugSepOctNovDec";
  const auto month_at = months.find(text.substr(8, 3));
  if (month_at == std::string_view::npos || month_at % 3 != 0) return std::nullopt;
  const auto day = detail::read_digits(text.substr(5, 2));
  const auto year = detail::read_digits(text.substr(12, 4));
  const auto hour = detail::read_digits(text.substr(17, 2));
  const auto minute = detail::read_digits(text.substr(20, 2));
  const auto second = detail::read_digits(text.substr(23, 2));
  if (!day || !year || !hour || !minute || !second) return std::nullopt;
  const year_month_day ymd{std::chrono::year{static_cast<int>(*year)},
                           std::chrono::month{static_cast<unsigned>(month_at / 3 + 1)}, std::chrono::day{*day}};
  if (!ymd.ok() || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  return utc_time_point{sys_days{ymd} + hours{*hour} + minutes{*minute} + seconds{*second}};
}

}  // namespace s3co::aws
