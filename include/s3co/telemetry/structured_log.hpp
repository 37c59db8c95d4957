// Structured logs: one JSON object per line,
//
//   {"ts":"2026-04-01T12:00:00.123Z","level":"info","event":"complete","request_id":"…","count":5000}
//
// `ts` is UTC with milliseconds; `request_id` is left out when empty; the
// fields follow in the order given, as strings, integers, doubles (a
// non-finite one is written as null) or booleans.
//
// Secrets never reach a line: a field whose name looks secret (authorization,
// secret, token, signature, password, credential, cookie, api key, private
// key; case and `-`/`_` ignored, so X-Amz-Security-Token and X-Amz-Signature
// match) is written as "[redacted]" whatever its value, and string values
// pass through `redact_secrets`, which blanks secret query parameters of
// presigned URLs and SigV4 header parameters. Logging never fails on what it
// is given: invalid UTF-8 is written as U+FFFD, and a field that reuses a
// reserved name (ts, level, event, request_id) is written as `field_<name>`
// so that no line holds a duplicate key.
//
// A structured_log writes to a std::ostream or a FILE* that the caller owns
// and keeps alive. It is thread-safe: each line is formatted on the calling
// thread, then written whole under a mutex (and flushed, by default), so
// lines from many threads never interleave. Field names and string values
// are views, read before the call returns.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "s3co/detail/text.hpp"
#include "s3co/sinks/json_escape.hpp"

namespace s3co::telemetry {

enum class log_level { debug, info, warn, error };

std::string_view level_name(log_level level) noexcept;

// A field's value: a string view, a signed or unsigned integer, a double or
// a bool. Any integer type converts (to 64 bits, keeping its signedness).
class log_value {
 public:
  using storage = std::variant<std::string_view, std::int64_t, std::uint64_t, double, bool>;

  log_value(std::string_view text) noexcept : value_(text) {}
  log_value(const char* text) noexcept : value_(std::string_view(text)) {}
  log_value(const std::string& text) noexcept : value_(std::string_view(text)) {}
  template <std::signed_integral I>
  log_value(I number) noexcept : value_(static_cast<std::int64_t>(number)) {}
  template <std::unsigned_integral U>
    requires(!std::same_as<U, bool>)
  log_value(U number) noexcept : value_(static_cast<std::uint64_t>(number)) {}
  template <std::floating_point F>
  log_value(F number) noexcept : value_(static_cast<double>(number)) {}
  log_value(bool flag) noexcept : value_(flag) {}

  const storage& get() const noexcept { return value_; }

 private:
  storage value_;
};

struct log_field {
  std::string_view name;
  log_value value;
};

inline constexpr std::string_view redacted = "[redacted]";

// Whether a field, parameter or header of this name holds a secret.
bool is_secret_name(std::string_view name) noexcept;

// `text` with the values of secret `name=value` pairs (URL query parameters,
// SigV4 Authorization parameters) and of secret `Name: value` header lines
// replaced by "[redacted]". A safety net for free text, not a parser.
std::string redact_secrets(std::string_view text);

// Appends one log line, without the newline, to `out`.
void format_log_line(std::string& out, std::chrono::system_clock::time_point when, log_level level,
                     std::string_view event, std::string_view request_id, std::span<const log_field> fields);

struct log_options {
  log_level min_level = log_level::info;
  bool flush_each_line = true;  // each line reaches the stream's target before `write` returns
  std::function<std::chrono::system_clock::time_point()> clock;  // empty: system_clock::now
};

class structured_log {
 public:
  explicit structured_log(std::ostream& out, log_options options = {});
  explicit structured_log(std::FILE* out, log_options options = {});

  structured_log(const structured_log&) = delete;
  structured_log& operator=(const structured_log&) = delete;

  bool enabled(log_level level) const noexcept { return level >= options_.min_level; }

  void write(log_level level, std::string_view event, std::string_view request_id,
             std::span<const log_field> fields);
  void write(log_level level, std::string_view event, std::string_view request_id,
             std::initializer_list<log_field> fields = {});

  // Writes one line someone else formatted (an EMF line) under the same lock,
  // adding the newline. Throws std::invalid_argument if it holds a newline.
  void write_line(std::string_view line);

  std::uint64_t lines_written() const noexcept { return lines_written_.load(std::memory_order_relaxed); }

 private:
  void emit(std::string_view line_with_newline);

  std::ostream* stream_ = nullptr;
  std::FILE* file_ = nullptr;
  log_options options_;
  std::mutex mutex_;
  std::atomic<std::uint64_t> lines_written_{0};
};

// A structured_log with one request id: what a request handler passes down.
// It refers to the log, which must outlive it; copies are cheap enough.
class request_logger {
 public:
  request_logger(structured_log& log, std::string request_id) : log_(&log), request_id_(std::move(request_id)) {}

  void debug(std::string_view event, std::initializer_list<log_field> fields = {}) const {
    log_->write(log_level::debug, event, request_id_, fields);
  }
  void info(std::string_view event, std::initializer_list<log_field> fields = {}) const {
    log_->write(log_level::info, event, request_id_, fields);
  }
  void warn(std::string_view event, std::initializer_list<log_field> fields = {}) const {
    log_->write(log_level::warn, event, request_id_, fields);
  }
  void error(std::string_view event, std::initializer_list<log_field> fields = {}) const {
    log_->write(log_level::error, event, request_id_, fields);
  }

  const std::string& request_id() const noexcept { return request_id_; }
  structured_log& log() const noexcept { return *log_; }

 private:
  structured_log* log_;
  std::string request_id_;
};

// ---------------------------------------------------------------------------

namespace detail {

// Secret-looking names, lower case with `-` and ` ` read as `_`.
inline constexpr std::array<std::string_view, 11> secret_name_parts = {
    "authorization", "secret", "token",   "signature",   "password", "passwd",
    "credential",    "cookie", "api_key", "private_key", "apikey"};

constexpr char fold_name_char(char c) noexcept {
  c = s3co::detail::to_lower_ascii(c);
  if (c == '-' || c == ' ') return '_';
  return c;
}

inline bool contains_folded(std::string_view haystack, std::string_view needle) noexcept {
  if (needle.size() > haystack.size()) return false;
  for (std::size_t start = 0; start + needle.size() <= haystack.size(); ++start) {
    std::size_t i = 0;
    while (i < needle.size() && fold_name_char(haystack[start + i]) == needle[i]) ++i;
    if (i == needle.size()) return true;
  }
  return false;
}

constexpr bool is_value_delimiter(char c) noexcept {
  switch (c) {
    case '&': case ';': case ',': case ' ': case '\t': case '\r': case '\n':
    case '"': case '\'': case '<': case '>':
      return true;
    default:
      return false;
  }
}

constexpr bool is_name_delimiter(char c) noexcept {
  switch (c) {
    case '?': case '{': case '}': case '(': case ')': case '[': case ']': case '=': case ':':
      return true;
    default:
      return is_value_delimiter(c);
  }
}

constexpr bool is_header_name_char(char c) noexcept { return c > ' ' && c < 0x7f && c != ':'; }

// Redacts `name=value` pairs within one line (no '\n' in it).
inline void append_redacted_pairs(std::string& out, std::string_view line) {
  std::size_t done = 0;  // line[0, done) is in `out`
  for (std::size_t equals = line.find('='); equals != std::string_view::npos; equals = line.find('=', equals + 1)) {
    if (equals < done) continue;
    std::size_t name_begin = equals;
    while (name_begin > done && !is_name_delimiter(line[name_begin - 1])) --name_begin;
    std::size_t value_end = equals + 1;
    while (value_end < line.size() && !is_value_delimiter(line[value_end])) ++value_end;
    if (value_end == equals + 1 || !is_secret_name(line.substr(name_begin, equals - name_begin))) continue;
    out.append(line.substr(done, equals + 1 - done)).append(redacted);
    done = value_end;
  }
  out.append(line.substr(done));
}

inline void append_redacted_line(std::string& out, std::string_view line) {
  // `Name: value` header lines: the whole value goes.
  std::size_t colon = 0;
  while (colon < line.size() && is_header_name_char(line[colon])) ++colon;
  if (colon > 0 && colon < line.size() && line[colon] == ':' && is_secret_name(line.substr(0, colon))) {
    out.append(line.substr(0, colon + 1)).append(" ").append(redacted);
    return;
  }
  append_redacted_pairs(out, line);
}

inline bool may_hold_secret(std::string_view text) noexcept {
  return text.find_first_of("=:") != std::string_view::npos;
}

using s3co::detail::write_digits;

// `YYYY-MM-DDTHH:MM:SS.mmmZ`
inline void append_iso8601_ms(std::string& out, std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(when);
  const auto day = floor<days>(ms);
  const year_month_day ymd{day};
  const hh_mm_ss time_of_day{ms - day};
  char text[24];
  char* cursor = text;
  cursor = write_digits(cursor, static_cast<unsigned>(static_cast<int>(ymd.year())), 4);
  *cursor++ = '-';
  cursor = write_digits(cursor, static_cast<unsigned>(ymd.month()), 2);
  *cursor++ = '-';
  cursor = write_digits(cursor, static_cast<unsigned>(ymd.day()), 2);
  *cursor++ = 'T';
  cursor = write_digits(cursor, static_cast<unsigned>(time_of_day.hours().count()), 2);
  *cursor++ = ':';
  cursor = write_digits(cursor, static_cast<unsigned>(time_of_day.minutes().count()), 2);
  *cursor++ = ':';
  cursor = write_digits(cursor, static_cast<unsigned>(time_of_day.seconds().count()), 2);
  *cursor++ = '.';
  cursor = write_digits(cursor, static_cast<unsigned>(time_of_day.subseconds().count()), 3);
  *cursor++ = 'Z';
  out.append(text, static_cast<std::size_t>(cursor - text));
}

template <typename Number>
void append_number(std::string& out, Number number) {
  char text[32];
  const auto end = std::to_chars(text, text + sizeof text, number).ptr;
  out.append(text, static_cast<std::size_t>(end - text));
}

// A double as JSON: shortest round-trip form, null when not finite.
inline void append_json_double(std::string& out, double number) {
  if (!std::isfinite(number)) {
    out.append("null");
    return;
  }
  append_number(out, number);
}

inline bool is_reserved_log_name(std::string_view name) noexcept {
  return name == "ts" || name == "level" || name == "event" || name == "request_id";
}

inline void append_log_value(std::string& out, const log_value& value) {
  std::visit(
      [&out](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string_view>) {
          if (may_hold_secret(v)) {
            sinks::append_json_string_lossy(out, redact_secrets(v));
          } else {
            sinks::append_json_string_lossy(out, v);
          }
        } else if constexpr (std::is_same_v<T, bool>) {
          out.append(v ? "true" : "false");
        } else if constexpr (std::is_same_v<T, double>) {
          append_json_double(out, v);
        } else {
          append_number(out, v);
        }
      },
      value.get());
}

}  // namespace detail

inline std::string_view level_name(log_level level) noexcept {
  switch (level) {
    case log_level::debug: return "debug";
    case log_level::info: return "info";
    case log_level::warn: return "warn";
    case log_level::error: return "error";
  }
  return "unknown";
}

inline bool is_secret_name(std::string_view name) noexcept {
  return std::any_of(detail::secret_name_parts.begin(), detail::secret_name_parts.end(),
                     [name](std::string_view part) { return detail::contains_folded(name, part); });
}

inline std::string redact_secrets(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t begin = 0;
  while (true) {
    const std::size_t newline = text.find('\n', begin);
    detail::append_redacted_line(out, text.substr(begin, newline - begin));
    if (newline == std::string_view::npos) break;
    out.push_back('\n');
    begin = newline + 1;
  }
  return out;
}

inline void format_log_line(std::string& out, std::chrono::system_clock::time_point when, log_level level,
                            std::string_view event, std::string_view request_id,
                            std::span<const log_field> fields) {
  out.append("{\"ts\":\"");
  detail::append_iso8601_ms(out, when);
  out.append("\",\"level\":\"").append(level_name(level)).append("\",\"event\":");
  sinks::append_json_string_lossy(out, event);
  if (!request_id.empty()) {
    out.append(",\"request_id\":");
    sinks::append_json_string_lossy(out, request_id);
  }
  for (const log_field& field : fields) {
    out.push_back(',');
    if (detail::is_reserved_log_name(field.name)) {
      std::string renamed("field_");
      renamed.append(field.name);
      sinks::append_json_string_lossy(out, renamed);
    } else {
      sinks::append_json_string_lossy(out, field.name);
    }
    out.push_back(':');
    if (is_secret_name(field.name)) {
      sinks::append_json_string_lossy(out, redacted);
    } else {
      detail::append_log_value(out, field.value);
    }
  }
  out.push_back('}');
}

inline structured_log::structured_log(std::ostream& out, log_options options)
    : stream_(&out), options_(std::move(options)) {}

inline structured_log::structured_log(std::FILE* out, log_options options) : file_(out), options_(std::move(options)) {
  if (out == nullptr) throw std::invalid_argument("structured_log: FILE* is null");
}

inline void structured_log::write(log_level level, std::string_view event, std::string_view request_id,
                                  std::span<const log_field> fields) {
  if (!enabled(level)) return;
  const auto now = options_.clock ? options_.clock() : std::chrono::system_clock::now();
  // Format outside the lock, into a per-thread buffer that keeps its capacity.
  thread_local std::string line;
  line.clear();
  format_log_line(line, now, level, event, request_id, fields);
  line.push_back('\n');
  emit(line);
}

inline void structured_log::write(log_level level, std::string_view event, std::string_view request_id,
                                  std::initializer_list<log_field> fields) {
  write(level, event, request_id, std::span<const log_field>(fields.begin(), fields.size()));
}

inline void structured_log::write_line(std::string_view line) {
  if (line.find('\n') != std::string_view::npos) {
    throw std::invalid_argument("structured_log::write_line: the line holds a newline");
  }
  thread_local std::string buffer;
  buffer.assign(line).push_back('\n');
  emit(buffer);
}

inline void structured_log::emit(std::string_view line_with_newline) {
  const std::lock_guard lock(mutex_);
  if (stream_ != nullptr) {
    stream_->write(line_with_newline.data(), static_cast<std::streamsize>(line_with_newline.size()));
    if (options_.flush_each_line) stream_->flush();
  } else {
    std::fwrite(line_with_newline.data(), 1, line_with_newline.size(), file_);
    if (options_.flush_each_line) std::fflush(file_);
  }
  lines_written_.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace s3co::telemetry
