// What a sign_pdfs run needs to know, and where each value comes from.
//
// Each field is taken from, in order: an explicit override (command-line
// flag), the event JSON, the environment, the default. The event accepts
// exactly `bucket`, `prefix`, `expiry_seconds`, `page_size`, `concurrency`,
// `queue_size`, `suffix` and `manifest_prefix`; the environment fallbacks are
// BUCKET_NAME, PREFIX, URL_EXPIRY_SECONDS and QUEUE_MAX. Numbers may be JSON
// integers or strings of digits (Lambda test events often quote them).
// Everything is validated before any S3 call; a bad value is an
// aws::config_error naming the field and the problem.
#pragma once

#include <charconv>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "s3co/aws/config_error.hpp"
#include "s3co/aws/endpoint.hpp"
#include "s3co/aws/environment.hpp"
#include "s3co/aws/presigner.hpp"

namespace s3co::pipelines {

struct sign_pdfs_config {
  std::string bucket;
  std::string prefix;
  std::chrono::seconds expiry{3600};
  int page_size = 1000;           // ListObjectsV2 max-keys, 1..1000
  int concurrency = 4;            // presigning consumers, 1..1024
  std::size_t queue_size = 1000;  // keys buffered between listing and presigning, >= 1
  std::string suffix = ".pdf";    // matched case-insensitively
  std::string manifest_prefix = "manifests/";
};

// Throws aws::config_error naming the first bad field.
void validate(const sign_pdfs_config& config);

// Values given as flags, by event field name ("bucket", "expiry_seconds", ...).
using config_overrides = std::map<std::string, std::string, std::less<>>;

// Builds and validates a config from an event (may be empty: no event), the
// overrides and the environment.
sign_pdfs_config load_sign_pdfs_config(std::string_view event_json, const config_overrides& overrides = {});

// ---------------------------------------------------------------------------

namespace detail {

struct config_field {
  std::string_view name;
  const char* environment;  // nullptr: no fallback
};

inline constexpr config_field config_fields[] = {
    {"bucket", "BUCKET_NAME"},       {"prefix", "PREFIX"},          {"expiry_seconds", "URL_EXPIRY_SECONDS"},
    {"page_size", nullptr},          {"concurrency", nullptr},      {"queue_size", "QUEUE_MAX"},
    {"suffix", nullptr},             {"manifest_prefix", nullptr},
};

inline std::int64_t parse_count(std::string_view text, const std::string& field) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size()) {
    throw aws::config_error(field, "'" + std::string(text) + "' is not a whole number");
  }
  return value;
}

inline std::int64_t in_range(std::int64_t value, std::int64_t low, std::int64_t high, const std::string& field) {
  if (value < low || value > high) {
    throw aws::config_error(field, std::to_string(value) + " is outside " + std::to_string(low) + ".." +
                                       std::to_string(high));
  }
  return value;
}

// The event's fields as text, each checked for a type the field can take.
inline std::map<std::string, std::string, std::less<>> event_fields(std::string_view event_json) {
  std::map<std::string, std::string, std::less<>> fields;
  if (event_json.find_first_not_of(" \t\r\n") == std::string_view::npos) return fields;
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(event_json);
  simdjson::dom::element root;
  if (const auto error = parser.parse(padded).get(root)) {
    throw aws::config_error("event", std::string("is not valid JSON (") + simdjson::error_message(error) + ")");
  }
  simdjson::dom::object object;
  if (root.get(object)) throw aws::config_error("event", "must be a JSON object");
  for (const auto field : object) {
    const std::string name(field.key);
    bool known = false;
    for (const auto& known_field : config_fields) known = known || known_field.name == name;
    if (name.empty()) throw aws::config_error("event", "has a field with an empty name");
    if (!known) throw aws::config_error(name, "is not a field of the event");
    if (fields.count(name)) throw aws::config_error(name, "appears twice in the event");
    std::string_view text;
    std::int64_t integer = 0;
    if (!field.value.get(text)) {
      fields[name] = std::string(text);
    } else if (!field.value.get(integer)) {
      fields[name] = std::to_string(integer);
    } else if (field.value.is_null()) {
      continue;  // null: as if absent
    } else {
      throw aws::config_error(name, "must be a string or a whole number");
    }
  }
  return fields;
}

}  // namespace detail

inline void validate(const sign_pdfs_config& config) {
  aws::validate_bucket_name(config.bucket, "bucket");
  aws::validate_presign_expiry(config.expiry, "expiry_seconds");
  detail::in_range(config.page_size, 1, 1000, "page_size");
  detail::in_range(config.concurrency, 1, 1024, "concurrency");
  detail::in_range(static_cast<std::int64_t>(config.queue_size), 1, 1'000'000, "queue_size");
  if (config.suffix.empty()) throw aws::config_error("suffix", "must not be empty");
  if (config.prefix.size() > 1024) throw aws::config_error("prefix", "is longer than S3's 1024-byte key limit");
  if (config.manifest_prefix.size() > 900) throw aws::config_error("manifest_prefix", "is too long for a key");
}

inline sign_pdfs_config load_sign_pdfs_config(std::string_view event_json, const config_overrides& overrides) {
  const auto event = detail::event_fields(event_json);
  // The winning source of each field, and the name to blame when it is bad.
  const auto value_of = [&](const detail::config_field& field) -> std::optional<std::pair<std::string, std::string>> {
    const std::string name(field.name);
    if (const auto found = overrides.find(field.name); found != overrides.end()) return std::pair{found->second, name};
    if (const auto found = event.find(field.name); found != event.end()) return std::pair{found->second, name};
    if (field.environment) {
      if (auto value = aws::environment_value(field.environment)) return std::pair{*value, std::string(field.environment)};
    }
    return std::nullopt;
  };

  sign_pdfs_config config;
  for (const auto& field : detail::config_fields) {
    const auto value = value_of(field);
    if (!value) continue;
    const auto& [text, source] = *value;
    if (field.name == "bucket") config.bucket = text;
    else if (field.name == "prefix") config.prefix = text;
    else if (field.name == "suffix") config.suffix = text;
    else if (field.name == "manifest_prefix") config.manifest_prefix = text;
    else if (field.name == "expiry_seconds") {
      config.expiry = std::chrono::seconds(detail::in_range(detail::parse_count(text, source), 1, 604800, source));
    } else if (field.name == "page_size") {
      config.page_size = static_cast<int>(detail::in_range(detail::parse_count(text, source), 1, 1000, source));
    } else if (field.name == "concurrency") {
      config.concurrency = static_cast<int>(detail::in_range(detail::parse_count(text, source), 1, 1024, source));
    } else if (field.name == "queue_size") {
      config.queue_size =
          static_cast<std::size_t>(detail::in_range(detail::parse_count(text, source), 1, 1'000'000, source));
    }
  }
  if (config.bucket.empty()) {
    throw aws::config_error("bucket", "is required (event field bucket, flag --bucket or BUCKET_NAME)");
  }
  validate(config);
  return config;
}

}  // namespace s3co::pipelines
