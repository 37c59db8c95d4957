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

// Parses ISO 8601 UTC as AWS writes it in bodies (`2026-12-03T14:00:00Z`,
// or with fractional seconds `…:00.123Z`, kept to the millisecond): S3's
// ServerTime, credential Expiration; nullopt for anything else.
std::optional<utc_time_point> parse_iso8601_utc(std::string_view text) noexcept;

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

// The UTC instant of calendar fields read as digits; nullopt when one is
// missing or the date or time is impossible (a leap second :60 is allowed).
inline std::optional<utc_time_point> utc_from_fields(std::optional<unsigned> year, std::optional<unsigned> month,
                                                     std::optional<unsigned> day, std::optional<unsigned> hour,
                                                     std::optional<unsigned> minute,
                                                     std::optional<unsigned> second) noexcept {
  using namespace std::chrono;
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  const year_month_day ymd{std::chrono::year{static_cast<int>(*year)}, std::chrono::month{*month},
                           std::chrono::day{*day}};
  if (!ymd.ok() || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  return utc_time_point{sys_days{ymd} + hours{*hour} + minutes{*minute} + seconds{*second}};
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
  if (text.substr(13, 2) == "60") return std::nullopt;  // SigV4 has no leap seconds
  return detail::utc_from_fields(detail::read_digits(text.substr(0, 4)), detail::read_digits(text.substr(4, 2)),
                                 detail::read_digits(text.substr(6, 2)), detail::read_digits(text.substr(9, 2)),
                                 detail::read_digits(text.substr(11, 2)), detail::read_digits(text.substr(13, 2)));
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
  return detail::utc_from_fields(detail::read_digits(text.substr(12, 4)), static_cast<unsigned>(month_at / 3 + 1),
                                 detail::read_digits(text.substr(5, 2)), detail::read_digits(text.substr(17, 2)),
                                 detail::read_digits(text.substr(20, 2)), detail::read_digits(text.substr(23, 2)));
}

inline std::optional<utc_time_point> parse_iso8601_utc(std::string_view text) noexcept {
  using namespace std::chrono;
  // "2026-12-03T14:00:00Z", or "2026-12-03T14:00:00.123456Z".
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':' || text.back() != 'Z') {
    return std::nullopt;
  }
  milliseconds fraction{0};
  if (text.size() > 20) {
    const std::string_view digits = text.substr(20, text.size() - 21);
    if (text[19] != '.' || digits.empty() || digits.size() > 9 || !detail::read_digits(digits)) return std::nullopt;
    const std::string_view millis = digits.substr(0, 3);
    fraction = milliseconds{*detail::read_digits(millis) * (millis.size() == 1 ? 100 : millis.size() == 2 ? 10 : 1)};
  }
  const auto whole = detail::utc_from_fields(
      detail::read_digits(text.substr(0, 4)), detail::read_digits(text.substr(5, 2)),
      detail::read_digits(text.substr(8, 2)), detail::read_digits(text.substr(11, 2)),
      detail::read_digits(text.substr(14, 2)), detail::read_digits(text.substr(17, 2)));
  if (!whole) return std::nullopt;
  return *whole + fraction;
}

}  // namespace s3co::aws
