// CloudWatch Embedded Metric Format: metrics as one JSON log line, which
// CloudWatch Logs turns into metrics.
//
//   emf_record metrics("s3co");
//   metrics.dimension("Function", "sign_pdfs")
//          .metric("PDFsProcessed", 5000, "Count")
//          .metric("DurationMs", 812.5, "Milliseconds");
//   log.write_line(metrics.to_json());
//
// gives
//
//   {"_aws":{"Timestamp":1775044800000,"CloudWatchMetrics":[{"Namespace":"s3co",
//    "Dimensions":[["Function"]],"Metrics":[{"Name":"PDFsProcessed","Unit":"Count"},
//    {"Name":"DurationMs","Unit":"Milliseconds"}]}]},"Function":"sign_pdfs",
//    "PDFsProcessed":5000,"DurationMs":812.5}
//
// (on one line): one metric directive, the values at the root after the
// dimension values, then any plain properties. Integral values within ±2^53
// are written as integers (100000, not 1e+05), others in the shortest form
// that reads back as the same double.
//
// CloudWatch drops a line it cannot use without telling the writer, so
// everything is checked here and a problem is an `emf_error` naming it, never
// a bad line: the namespace (1..255 characters from `0-9A-Za-z._-/#:` and
// space, not only spaces, not starting with `:` or `AWS/`), dimensions (names
// 1..255 and values 1..1024 printable ASCII characters, not blank, names not
// starting with `:`; at most 30 keys in a dimension set, each with a value at
// the root), metrics (names 1..255 characters of valid UTF-8 without control
// characters, not blank; at most 100; unit from CloudWatch's list; a finite
// value within ±2^360, CloudWatch's range; storage resolution 1 or 60), and
// no name used twice at the root. What can be checked when a piece is added
// is checked then; the rest (the size of the default dimension set, keys of
// explicit sets without a value, a record without metrics) when the line is
// built, before anything is appended.
//
// An emf_record is a plain value that owns copies of everything given to it;
// it is not synchronised. Building a line does not change it, so a record can
// be emitted again (with a new timestamp unless one was set).
#pragma once

#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "s3co/sinks/json_escape.hpp"
#include "s3co/telemetry/structured_log.hpp"

namespace s3co::telemetry {

class emf_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

inline constexpr std::size_t emf_max_metrics = 100;          // per directive
inline constexpr std::size_t emf_max_dimension_keys = 30;    // per dimension set
inline constexpr std::size_t emf_max_namespace_length = 255;
inline constexpr std::size_t emf_max_metric_name_length = 255;
inline constexpr std::size_t emf_max_dimension_name_length = 255;
inline constexpr std::size_t emf_max_dimension_value_length = 1024;

// CloudWatch's unit names, exactly as it spells them.
inline constexpr std::array<std::string_view, 27> cloudwatch_units = {
    "Seconds",          "Microseconds",     "Milliseconds",     "Bytes",           "Kilobytes",
    "Megabytes",        "Gigabytes",        "Terabytes",        "Bits",            "Kilobits",
    "Megabits",         "Gigabits",         "Terabits",         "Percent",         "Count",
    "Bytes/Second",     "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second",
    "Bits/Second",      "Kilobits/Second",  "Megabits/Second",  "Gigabits/Second", "Terabits/Second",
    "Count/Second",     "None"};

bool is_cloudwatch_unit(std::string_view unit) noexcept;

// Throws emf_error unless `name` is a valid CloudWatch namespace.
void validate_emf_namespace(std::string_view name);

class emf_record {
 public:
  explicit emf_record(std::string_view metric_namespace);

  // A dimension: its value goes at the root and, unless dimension sets are
  // given explicitly, its key into the one default dimension set.
  emf_record& dimension(std::string_view key, std::string_view value);

  // An explicit dimension set (its keys need values by the time the line is
  // built). Without any, there is one set holding every dimension in order.
  emf_record& dimension_set(std::initializer_list<std::string_view> keys);
  emf_record& dimension_set(const std::vector<std::string>& keys);

  // A metric and its value; `storage_resolution` is 60 (standard) or 1
  // (high resolution).
  emf_record& metric(std::string_view name, double value, std::string_view unit = "None",
                     int storage_resolution = 60);

  // A root member that is not a metric (searchable in Logs Insights). Text
  // must be valid UTF-8 and a double finite.
  emf_record& property(std::string_view name, const log_value& value);

  // The metrics' time; without it, the time the line is built.
  emf_record& timestamp(std::chrono::system_clock::time_point when);

  // The line, without a newline; throws emf_error.
  std::string to_json() const;
  void append_json(std::string& out) const;

  // Writes the line and a newline in one write.
  void emit(std::ostream& out) const;

  std::size_t metric_count() const noexcept { return metrics_.size(); }

 private:
  struct dimension_entry {
    std::string key;
    std::string value;
  };
  struct metric_entry {
    std::string name;
    double value;
    std::string_view unit;  // one of cloudwatch_units
    int storage_resolution;
  };
  struct property_entry {
    std::string name;
    std::string json;  // the value, already serialised
  };

  void claim_root_name(std::string_view name, std::string_view what) const;

  std::string namespace_;
  std::vector<dimension_entry> dimensions_;
  std::vector<std::vector<std::string>> dimension_sets_;
  std::vector<metric_entry> metrics_;
  std::vector<property_entry> properties_;
  std::optional<std::chrono::system_clock::time_point> timestamp_;
};

// ---------------------------------------------------------------------------

namespace detail {

// The name quoted for an error message, made safe to print.
inline std::string quoted_for_message(std::string_view name) {
  std::string out;
  sinks::append_json_string_lossy(out, name.substr(0, 80));
  if (name.size() > 80) out.append("…");
  return out;
}

[[noreturn]] inline void emf_fail(std::string_view subject, std::string_view name, std::string_view problem) {
  std::string message("EMF ");
  message.append(subject);
  if (!name.empty()) message.append(" ").append(quoted_for_message(name));
  message.append(": ").append(problem);
  throw emf_error(message);
}

inline bool is_blank(std::string_view text) noexcept {
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

inline bool is_namespace_char(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '.' || c == '-' ||
         c == '_' || c == '/' || c == '#' || c == ':' || c == ' ';
}

inline bool is_printable_ascii(std::string_view text) noexcept {
  for (const char c : text) {
    if (c < ' ' || c > '~') return false;
  }
  return true;
}

inline void validate_dimension_key(std::string_view key) {
  if (key.empty() || is_blank(key)) emf_fail("dimension name", key, "must hold a non-blank character");
  if (key.size() > emf_max_dimension_name_length) emf_fail("dimension name", key, "is longer than 255 characters");
  if (!is_printable_ascii(key)) emf_fail("dimension name", key, "must be printable ASCII");
  if (key.front() == ':') emf_fail("dimension name", key, "must not start with ':'");
}

// 2^360: CloudWatch rejects values beyond it.
inline constexpr double emf_max_magnitude = 2.3485425827738332e108;

// A finite value as EMF writes it: integral values within ±2^53 (where a
// double holds every integer exactly) as integers, so a count of 100000 reads
// 100000 and not 1e+05; others in the shortest form that round-trips.
inline void append_emf_number(std::string& out, double value) {
  constexpr double exact_integer_limit = 9007199254740992.0;  // 2^53
  if (std::trunc(value) == value && std::fabs(value) <= exact_integer_limit) {
    append_number(out, static_cast<std::int64_t>(value));
  } else {
    append_number(out, value);
  }
}

}  // namespace detail

inline bool is_cloudwatch_unit(std::string_view unit) noexcept {
  for (const std::string_view known : cloudwatch_units) {
    if (known == unit) return true;
  }
  return false;
}

inline void validate_emf_namespace(std::string_view name) {
  if (name.empty() || detail::is_blank(name)) detail::emf_fail("namespace", name, "must hold a non-blank character");
  if (name.size() > emf_max_namespace_length) detail::emf_fail("namespace", name, "is longer than 255 characters");
  for (const char c : name) {
    if (!detail::is_namespace_char(c)) {
      detail::emf_fail("namespace", name, "may hold only 0-9 A-Z a-z . - _ / # : and space");
    }
  }
  if (name.front() == ':') detail::emf_fail("namespace", name, "must not start with ':'");
  if (name.starts_with("AWS/")) detail::emf_fail("namespace", name, "must not start with AWS/ (reserved for AWS)");
}

inline emf_record::emf_record(std::string_view metric_namespace) : namespace_(metric_namespace) {
  validate_emf_namespace(namespace_);
}

inline void emf_record::claim_root_name(std::string_view name, std::string_view what) const {
  if (name == "_aws") detail::emf_fail(what, name, "is reserved for the metadata");
  for (const auto& d : dimensions_) {
    if (d.key == name) detail::emf_fail(what, name, "is already a dimension");
  }
  for (const auto& m : metrics_) {
    if (m.name == name) detail::emf_fail(what, name, "is already a metric");
  }
  for (const auto& p : properties_) {
    if (p.name == name) detail::emf_fail(what, name, "is already a property");
  }
}

inline emf_record& emf_record::dimension(std::string_view key, std::string_view value) {
  detail::validate_dimension_key(key);
  if (value.empty() || detail::is_blank(value)) detail::emf_fail("dimension", key, "value must hold a non-blank character");
  if (value.size() > emf_max_dimension_value_length) detail::emf_fail("dimension", key, "value is longer than 1024 characters");
  if (!detail::is_printable_ascii(value)) detail::emf_fail("dimension", key, "value must be printable ASCII");
  claim_root_name(key, "dimension");
  dimensions_.push_back({std::string(key), std::string(value)});
  return *this;
}

inline emf_record& emf_record::dimension_set(std::initializer_list<std::string_view> keys) {
  std::vector<std::string> set;
  set.reserve(keys.size());
  for (const std::string_view key : keys) set.emplace_back(key);
  return dimension_set(set);
}

inline emf_record& emf_record::dimension_set(const std::vector<std::string>& keys) {
  if (keys.size() > emf_max_dimension_keys) {
    detail::emf_fail("dimension set", {}, std::string("has ").append(std::to_string(keys.size())).append(" keys (at most 30)"));
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    detail::validate_dimension_key(keys[i]);
    for (std::size_t j = 0; j < i; ++j) {
      if (keys[j] == keys[i]) detail::emf_fail("dimension set key", keys[i], "appears twice");
    }
  }
  dimension_sets_.push_back(keys);
  return *this;
}

inline emf_record& emf_record::metric(std::string_view name, double value, std::string_view unit,
                                      int storage_resolution) {
  if (name.empty() || detail::is_blank(name)) detail::emf_fail("metric name", name, "must hold a non-blank character");
  if (name.size() > emf_max_metric_name_length) detail::emf_fail("metric name", name, "is longer than 255 characters");
  if (!sinks::is_valid_utf8(name)) detail::emf_fail("metric name", name, "is not valid UTF-8");
  for (const char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) detail::emf_fail("metric name", name, "holds a control character");
  }
  if (!is_cloudwatch_unit(unit)) {
    detail::emf_fail("metric", name, std::string("unit ").append(detail::quoted_for_message(unit)).append(" is not a CloudWatch unit"));
  }
  if (!std::isfinite(value)) detail::emf_fail("metric", name, "value must be a finite number");
  if (std::fabs(value) > detail::emf_max_magnitude) detail::emf_fail("metric", name, "value is beyond CloudWatch's range (±2^360)");
  if (storage_resolution != 60 && storage_resolution != 1) detail::emf_fail("metric", name, "storage resolution must be 1 or 60");
  claim_root_name(name, "metric");
  if (metrics_.size() == emf_max_metrics) detail::emf_fail("metric", name, "would be metric 101 (at most 100 per directive)");
  // Store the list's own view of the unit, which outlives the caller's.
  std::string_view known_unit;
  for (const std::string_view u : cloudwatch_units) {
    if (u == unit) known_unit = u;
  }
  metrics_.push_back({std::string(name), value, known_unit, storage_resolution});
  return *this;
}

inline emf_record& emf_record::property(std::string_view name, const log_value& value) {
  if (name.empty()) detail::emf_fail("property name", name, "must not be empty");
  if (!sinks::is_valid_utf8(name)) detail::emf_fail("property name", name, "is not valid UTF-8");
  std::string json;
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string_view>) {
          if (!sinks::append_json_string(json, v)) detail::emf_fail("property", name, "value is not valid UTF-8");
        } else if constexpr (std::is_same_v<T, bool>) {
          json = v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, double>) {
          if (!std::isfinite(v)) detail::emf_fail("property", name, "value must be a finite number");
          detail::append_emf_number(json, v);
        } else {
          detail::append_number(json, v);
        }
      },
      value.get());
  claim_root_name(name, "property");
  properties_.push_back({std::string(name), std::move(json)});
  return *this;
}

inline emf_record& emf_record::timestamp(std::chrono::system_clock::time_point when) {
  timestamp_ = when;
  return *this;
}

inline void emf_record::append_json(std::string& out) const {
  using namespace std::chrono;
  // What could not be checked piece by piece.
  if (metrics_.empty()) detail::emf_fail("record", {}, "has no metrics");
  if (dimension_sets_.empty() && dimensions_.size() > emf_max_dimension_keys) {
    detail::emf_fail("record", {},
                     std::string("has ").append(std::to_string(dimensions_.size()))
                         .append(" dimensions in its default dimension set (at most 30; give smaller sets with dimension_set())"));
  }
  for (const auto& set : dimension_sets_) {
    for (const auto& key : set) {
      bool found = false;
      for (const auto& d : dimensions_) found = found || d.key == key;
      if (!found) detail::emf_fail("dimension set key", key, "has no value at the root (add it with dimension())");
    }
  }

  const auto when = timestamp_.value_or(system_clock::now());
  out.append("{\"_aws\":{\"Timestamp\":");
  detail::append_number(out, static_cast<std::int64_t>(floor<milliseconds>(when.time_since_epoch()).count()));
  out.append(",\"CloudWatchMetrics\":[{\"Namespace\":");
  // Every name below was validated when added: escaping cannot fail.
  auto append_name = [&out](std::string_view text) { (void)sinks::append_json_string(out, text); };
  append_name(namespace_);
  out.append(",\"Dimensions\":[");
  if (dimension_sets_.empty()) {
    out.push_back('[');
    for (std::size_t i = 0; i < dimensions_.size(); ++i) {
      if (i != 0) out.push_back(',');
      append_name(dimensions_[i].key);
    }
    out.push_back(']');
  } else {
    for (std::size_t s = 0; s < dimension_sets_.size(); ++s) {
      if (s != 0) out.push_back(',');
      out.push_back('[');
      for (std::size_t i = 0; i < dimension_sets_[s].size(); ++i) {
        if (i != 0) out.push_back(',');
        append_name(dimension_sets_[s][i]);
      }
      out.push_back(']');
    }
  }
  out.append("],\"Metrics\":[");
  for (std::size_t i = 0; i < metrics_.size(); ++i) {
    if (i != 0) out.push_back(',');
    out.append("{\"Name\":");
    append_name(metrics_[i].name);
    out.append(",\"Unit\":");
    append_name(metrics_[i].unit);
    if (metrics_[i].storage_resolution == 1) out.append(",\"StorageResolution\":1");
    out.push_back('}');
  }
  out.append("]}]}");
  for (const auto& d : dimensions_) {
    out.push_back(',');
    append_name(d.key);
    out.push_back(':');
    append_name(d.value);
  }
  for (const auto& m : metrics_) {
    out.push_back(',');
    append_name(m.name);
    out.push_back(':');
    detail::append_emf_number(out, m.value);
  }
  for (const auto& p : properties_) {
    out.push_back(',');
    append_name(p.name);
    out.push_back(':');
    out.append(p.json);
  }
  out.push_back('}');
}

inline std::string emf_record::to_json() const {
  std::string out;
  append_json(out);
  return out;
}

inline void emf_record::emit(std::ostream& out) const {
  std::string line = to_json();
  line.push_back('\n');
  out.write(line.data(), static_cast<std::streamsize>(line.size()));
}

}  // namespace s3co::telemetry
