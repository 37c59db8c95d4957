// What a sign_pdfs run needs to know, and where each value comes from.
//
// Each field is taken from, in order: an explicit override (command-line
// flag), the event JSON, the environment, the default. The event accepts
// exactly `bucket`, `prefix`, `expiry_seconds`, `page_size`, `concurrency`,
// `list_concurrency`, `queue_size`, `suffix`, `manifest_prefix`,
// `request_timeout_seconds`, `deadline_seconds`, and for sharded jobs
// `start_after`, `end_before`, `job_id`, `shard` and `shards`, and
// `plan` or `combine` for an event that plans a job's shards or combines
// their manifests (sign_pdfs_jobs.hpp); the environment fallbacks are
// BUCKET_NAME, PREFIX, URL_EXPIRY_SECONDS and QUEUE_MAX. Text fields must be
// JSON strings; numbers may be JSON integers or strings of digits (Lambda
// test events often quote them); null means absent; a field given twice is
// an error, null or not. Text is valid UTF-8 from every source.
// Everything is validated before any S3 call; a bad value is an
// aws::config_error naming the field and the problem (control characters in
// an echoed value are shown as \u00XX).
#pragma once

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <simdjson.h>

#include "s3co/aws/config_error.hpp"
#include "s3co/aws/endpoint.hpp"
#include "s3co/aws/environment.hpp"
#include "s3co/aws/presigner.hpp"
#include "s3co/sinks/json_escape.hpp"

namespace s3co::pipelines {

struct sign_pdfs_config {
  std::string bucket{};
  std::string prefix{};
  std::chrono::seconds expiry{3600};
  int page_size = 1000;           // ListObjectsV2 max-keys, 1..1000
  int concurrency = 4;            // presigning consumers, 1..1024
  int list_concurrency = 8;       // ListObjectsV2 chains over the prefix at once, 1..64 (s3/parallel_lister.hpp)
  std::size_t queue_size = 1000;  // keys buffered between listing and presigning, >= 1
  std::string suffix = ".pdf";    // matched case-insensitively
  std::string manifest_prefix = "manifests/";
  // One HTTP attempt, sending and receiving, 1..3600 s; the handler gives it
  // to its client (a caller of run() sets its own client's timeout).
  std::chrono::seconds request_timeout{30};
  // The whole run, 1..604800 s; none: no limit. When it passes, the run
  // stops and cleans up as on any failure, and throws deadline_exceeded.
  std::optional<std::chrono::seconds> deadline{};

  // Sharded jobs: a run lists the keys k with start_after < k < end_before
  // under the prefix.
  std::string start_after{};
  std::optional<std::string> end_before{};
  // Names the manifest: <manifest_prefix><job_id>.jsonl, or for shard i of
  // a job <manifest_prefix><job_id>/shard-<i>.jsonl; empty: a random UUID.
  // 1..128 of A-Z a-z 0-9 . _ - (not starting with '.').
  std::string job_id{};
  std::optional<int> shard{};  // 0..shards-1; needs job_id and shards
  int shards = 0;              // 1..10000 with shard; 0: not a shard

  // What the event asks for instead of a run (sign_pdfs_jobs.hpp): plan a
  // job of `plan` shards (1..10000; job_id names it, else a random UUID),
  // or combine the shard manifests of the job `combine` (a job id).
  int plan = 0;
  std::string combine{};
};

inline constexpr int max_shards = 10'000;  // S3's part limit: a job's shard manifests fit one multipart upload

// Throws aws::config_error naming the first bad field.
void validate(const sign_pdfs_config& config);

// Values given as flags, by event field name ("bucket", "expiry_seconds", ...).
using config_overrides = std::map<std::string, std::string, std::less<>>;

// Builds and validates a config from an event (may be empty: no event), the
// overrides and the environment.
sign_pdfs_config load_sign_pdfs_config(std::string_view event_json, const config_overrides& overrides = {});

// ---------------------------------------------------------------------------

namespace detail {

enum class field_kind { text, count };

struct config_field {
  std::string_view name;
  const char* environment;  // nullptr: no fallback
  field_kind kind;
};

inline constexpr config_field config_fields[] = {
    {"bucket", "BUCKET_NAME", field_kind::text},
    {"prefix", "PREFIX", field_kind::text},
    {"expiry_seconds", "URL_EXPIRY_SECONDS", field_kind::count},
    {"page_size", nullptr, field_kind::count},
    {"concurrency", nullptr, field_kind::count},
    {"list_concurrency", nullptr, field_kind::count},
    {"queue_size", "QUEUE_MAX", field_kind::count},
    {"suffix", nullptr, field_kind::text},
    {"manifest_prefix", nullptr, field_kind::text},
    {"request_timeout_seconds", nullptr, field_kind::count},
    {"deadline_seconds", nullptr, field_kind::count},
    {"start_after", nullptr, field_kind::text},
    {"end_before", nullptr, field_kind::text},
    {"job_id", nullptr, field_kind::text},
    {"shard", nullptr, field_kind::count},
    {"shards", nullptr, field_kind::count},
    {"plan", nullptr, field_kind::count},
    {"combine", nullptr, field_kind::text},
};

inline constexpr std::int64_t max_request_timeout_seconds = 3600;
inline constexpr std::int64_t max_deadline_seconds = 604800;

inline std::string quoted(std::string_view value) {
  return aws::detail::concat({"'", aws::detail::printable_in_message(value), "'"});
}

inline std::int64_t parse_count(std::string_view text, const std::string& field) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error == std::errc::result_out_of_range && end == text.data() + text.size()) {
    throw aws::config_error(field, quoted(text) + " is too large");
  }
  if (text.empty() || error != std::errc{} || end != text.data() + text.size()) {
    throw aws::config_error(field, quoted(text) + " is not a whole number");
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

// simdjson's DOM parser refuses a whole document for one number no double or
// 64-bit integer holds (1e400, 2^64). Walks the top-level fields to find the
// one that holds it, judging each number alone with the same parser; "" when
// none does.
inline std::string field_with_unreadable_number(const simdjson::padded_string& event) {
  simdjson::ondemand::parser walker;
  simdjson::ondemand::document document;
  simdjson::ondemand::object object;
  if (walker.iterate(event).get(document) || document.get_object().get(object)) return {};
  simdjson::dom::parser judge;
  for (auto field : object) {
    std::string_view name;
    simdjson::ondemand::value value;
    simdjson::ondemand::json_type type;
    if (field.unescaped_key().get(name) || field.value().get(value) || value.type().get(type)) return {};
    if (type != simdjson::ondemand::json_type::number) continue;
    const simdjson::padded_string number(std::string_view(value.raw_json_token()));
    if (judge.parse(number).error() == simdjson::NUMBER_ERROR) return aws::detail::printable_in_message(name);
  }
  return {};
}

// The event's fields as text, each checked for a type the field can take.
inline std::map<std::string, std::string, std::less<>> event_fields(std::string_view event_json) {
  std::map<std::string, std::string, std::less<>> fields;
  if (event_json.find_first_not_of(" \t\r\n") == std::string_view::npos) return fields;
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(event_json);
  simdjson::dom::element root;
  if (const auto error = parser.parse(padded).get(root)) {
    if (error == simdjson::NUMBER_ERROR) {
      if (const std::string field = field_with_unreadable_number(padded); !field.empty()) {
        throw aws::config_error(field, "is a number out of range");
      }
    }
    throw aws::config_error("event", std::string("is not valid JSON (") + simdjson::error_message(error) + ")");
  }
  simdjson::dom::object object;
  if (root.get(object)) throw aws::config_error("event", "must be a JSON object");
  bool seen[std::size(config_fields)] = {};
  for (const auto field : object) {
    if (field.key.empty()) throw aws::config_error("event", "has a field with an empty name");
    const auto* known = std::find_if(std::begin(config_fields), std::end(config_fields),
                                     [&](const config_field& candidate) { return candidate.name == field.key; });
    if (known == std::end(config_fields)) {
      throw aws::config_error(aws::detail::printable_in_message(field.key), "is not a field of the event");
    }
    const std::string name(field.key);
    // Before null is skipped: {"bucket":null,"bucket":"b"} is as ambiguous as the other order.
    if (std::exchange(seen[known - std::begin(config_fields)], true)) {
      throw aws::config_error(name, "appears twice in the event");
    }
    if (field.value.is_null()) continue;  // null: as if absent
    std::string_view text;
    std::int64_t integer = 0;
    std::uint64_t large = 0;
    if (!field.value.get(text)) {
      fields[name] = std::string(text);
    } else if (known->kind == field_kind::text) {
      throw aws::config_error(name, "must be a JSON string");
    } else if (!field.value.get(integer)) {
      fields[name] = std::to_string(integer);
    } else if (!field.value.get(large)) {
      throw aws::config_error(name, std::to_string(large) + " is too large");
    } else {
      throw aws::config_error(name, "must be a whole number (a JSON integer or a string of digits)");
    }
  }
  return fields;
}

inline void validate_job_id(std::string_view id, const char* field) {
  if (id.empty() || id.size() > 128) throw aws::config_error(field, "must be 1 to 128 characters");
  if (id.front() == '.') throw aws::config_error(field, quoted(id) + " starts with '.'");
  for (const char c : id) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                         c == '_' || c == '-';
    if (!allowed) throw aws::config_error(field, quoted(id) + " has a character outside A-Z a-z 0-9 . _ -");
  }
}

// The sharding fields, each alone and together.
inline void validate_sharding(const sign_pdfs_config& config) {
  if (config.start_after.size() > 1024) throw aws::config_error("start_after", "is longer than S3's 1024-byte key limit");
  // (A byte more than a key: a shard may end just after its last key, at that key plus a NUL.)
  if (config.end_before && config.end_before->size() > 1025) {
    throw aws::config_error("end_before", "is longer than S3's 1024-byte key limit");
  }
  if (config.end_before && *config.end_before <= config.start_after) {
    throw aws::config_error("end_before", "must come after start_after: the listing would be empty");
  }
  if (!config.job_id.empty()) validate_job_id(config.job_id, "job_id");
  if (config.shard.has_value() != (config.shards != 0)) {
    throw config.shard ? aws::config_error("shards", "is required with shard (the job's shard count)")
                       : aws::config_error("shard", "is required with shards (this shard's number, from 0)");
  }
  if (config.shard) {
    in_range(config.shards, 1, max_shards, "shards");
    in_range(*config.shard, 0, config.shards - 1, "shard");
    if (config.job_id.empty()) throw aws::config_error("job_id", "is required for a shard");
  }
  if (config.plan != 0) {
    in_range(config.plan, 1, max_shards, "plan");
    if (config.shard) throw aws::config_error("shard", "is a field of a shard's own event, not of a plan");
    if (!config.combine.empty()) throw aws::config_error("combine", "cannot be given with plan");
  }
  if (!config.combine.empty()) {
    validate_job_id(config.combine, "combine");
    // What combine reads is named by the job alone: a range or shard would be ignored, so it is refused.
    if (!config.start_after.empty()) throw aws::config_error("start_after", "does not apply to combine");
    if (config.end_before) throw aws::config_error("end_before", "does not apply to combine");
    if (config.shard) throw aws::config_error("shard", "does not apply to combine");
    if (!config.job_id.empty()) throw aws::config_error("job_id", "does not apply to combine (combine names the job)");
  }
}

}  // namespace detail

inline void validate(const sign_pdfs_config& config) {
  aws::validate_bucket_name(config.bucket, "bucket");
  aws::validate_presign_expiry(config.expiry, "expiry_seconds");
  detail::in_range(config.page_size, 1, 1000, "page_size");
  detail::in_range(config.concurrency, 1, 1024, "concurrency");
  detail::in_range(config.list_concurrency, 1, 64, "list_concurrency");
  detail::in_range(static_cast<std::int64_t>(config.queue_size), 1, 1'000'000, "queue_size");
  if (config.suffix.empty()) throw aws::config_error("suffix", "must not be empty");
  if (config.prefix.size() > 1024) throw aws::config_error("prefix", "is longer than S3's 1024-byte key limit");
  if (config.manifest_prefix.size() > 900) throw aws::config_error("manifest_prefix", "is too long for a key");
  detail::in_range(config.request_timeout.count(), 1, detail::max_request_timeout_seconds, "request_timeout_seconds");
  if (config.deadline) detail::in_range(config.deadline->count(), 1, detail::max_deadline_seconds, "deadline_seconds");
  detail::validate_sharding(config);
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
    // Keys are UTF-8: a prefix or suffix that is not would never match, and could not be logged.
    if (field.kind == detail::field_kind::text && !sinks::is_valid_utf8(text)) {
      throw aws::config_error(source, "is not valid UTF-8");
    }
    if (field.name == "bucket") config.bucket = text;
    else if (field.name == "prefix") config.prefix = text;
    else if (field.name == "suffix") config.suffix = text;
    else if (field.name == "manifest_prefix") config.manifest_prefix = text;
    else if (field.name == "start_after") config.start_after = text;
    else if (field.name == "end_before") config.end_before = text;
    else if (field.name == "job_id") {
      if (text.empty()) throw aws::config_error(source, "must not be empty (leave it out for a random manifest name)");
      config.job_id = text;
    }
    else if (field.name == "combine") {
      if (text.empty()) throw aws::config_error(source, "must name the job whose shards to combine");
      config.combine = text;
    }
    else if (field.name == "plan") {
      config.plan = static_cast<int>(detail::in_range(detail::parse_count(text, source), 1, max_shards, source));
    } else if (field.name == "shard") {
      config.shard = static_cast<int>(detail::in_range(detail::parse_count(text, source), 0, max_shards - 1, source));
    } else if (field.name == "shards") {
      config.shards = static_cast<int>(detail::in_range(detail::parse_count(text, source), 1, max_shards, source));
    } else if (field.name == "expiry_seconds") {
      config.expiry = std::chrono::seconds(detail::in_range(detail::parse_count(text, source), 1, 604800, source));
    } else if (field.name == "page_size") {
      config.page_size = static_cast<int>(detail::in_range(detail::parse_count(text, source), 1, 1000, source));
    } else if (field.name == "concurrency") {
      config.concurrency = static_cast<int>(detail::in_range(detail::parse_count(text, source), 1, 1024, source));
    } else if (field.name == "list_concurrency") {
      config.list_concurrency = static_cast<int>(detail::in_range(detail::parse_count(text, source), 1, 64, source));
    } else if (field.name == "queue_size") {
      config.queue_size =
          static_cast<std::size_t>(detail::in_range(detail::parse_count(text, source), 1, 1'000'000, source));
    } else if (field.name == "request_timeout_seconds") {
      config.request_timeout = std::chrono::seconds(
          detail::in_range(detail::parse_count(text, source), 1, detail::max_request_timeout_seconds, source));
    } else if (field.name == "deadline_seconds") {
      config.deadline = std::chrono::seconds(
          detail::in_range(detail::parse_count(text, source), 1, detail::max_deadline_seconds, source));
    }
  }
  if (config.bucket.empty()) {
    throw aws::config_error("bucket", "is required (event field bucket, flag --bucket or BUCKET_NAME)");
  }
  validate(config);
  return config;
}

}  // namespace s3co::pipelines
