// sign_pdfs: list every PDF under a prefix, presign a GET URL for each,
// stream the (key, url) pairs as a JSONL manifest into S3, presign the
// manifest, and report one result.
//
// Shape of a run (all stages at once, memory bounded by the channels):
//
//   listing ──keys──▶ presign × concurrency ──signed──▶ manifest writer ──▶ S3
//
// - One producer pages through ListObjectsV2 and sends each page's matching
//   keys (suffix, case-insensitive) as a numbered batch; listing the next
//   page overlaps presigning the current one.
// - `concurrency` consumers presign batches (each with its own presigner:
//   presigners are not shared); they may run on another executor, e.g. a
//   thread pool.
// - One writer puts batches back in listing order and writes the manifest
//   lines through a jsonl_writer into a multipart upload stream: the
//   manifest never touches a temporary file, and goes up as one PutObject
//   while it fits in one part.
// - A key that cannot be presigned or written (invalid UTF-8) counts in
//   `errors` and the run goes on. A failure of the listing, of the upload or
//   a cancellation stops every stage (the keys channel is closed with the
//   error), aborts the manifest upload so nothing is left, and is rethrown;
//   when the failure hit the final PutObject/CompleteMultipartUpload (which
//   may have been applied although its answer was lost), the manifest is
//   also deleted. That final request is never cut off by a cancellation: it
//   finishes, then the cancellation is honoured.
//
// Ownership: run() refers to the S3 client, which must outlive it; all
// other state lives in the run's own frame.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include "s3co/aws/presigner.hpp"
#include "s3co/flow/channel.hpp"
#include "s3co/flow/task_group.hpp"
#include "s3co/pipelines/sign_pdfs_config.hpp"
#include "s3co/s3/client.hpp"
#include "s3co/s3/list_objects.hpp"
#include "s3co/s3/multipart_upload.hpp"
#include "s3co/sinks/json_escape.hpp"
#include "s3co/sinks/jsonl_writer.hpp"
#include "s3co/telemetry/emf.hpp"
#include "s3co/telemetry/structured_log.hpp"

namespace s3co::pipelines {

struct sign_pdfs_result {
  std::uint64_t count = 0;   // manifest lines
  std::uint64_t errors = 0;  // matching keys left out of the manifest
  std::string manifest_key;
  std::string manifest_url;
  int pages = 0;
  std::int64_t duration_ms = 0;
  // Beyond the result JSON, for telemetry:
  std::uint64_t keys_listed = 0;
  std::uint64_t manifest_bytes = 0;
  std::uint64_t response_bytes = 0;  // ListObjectsV2 bodies received
  bool manifest_multipart = false;
};

// {"count":…,"errors":…,"manifest_key":…,"manifest_url":…,"pages":…,"duration_ms":…}
std::string to_json(const sign_pdfs_result& result);

// Counters a progress display may read while a run goes on (any thread).
struct sign_pdfs_progress {
  std::atomic<std::uint64_t> keys_listed{0};
  std::atomic<std::uint64_t> presigned{0};
  std::atomic<std::uint64_t> bytes_written{0};
};

struct sign_pdfs_options {
  // Where the presigning consumers run; empty: the run's own executor.
  std::optional<boost::asio::any_io_executor> presign_executor;
  sign_pdfs_progress* progress = nullptr;
  // S3's smallest part, 2 in flight: the manifest holds at most 15 MiB of
  // memory however many keys, and may reach 10,000 x 5 MiB (over 100M keys).
  std::size_t manifest_part_size = s3::min_part_size;
  std::size_t manifest_parts_in_flight = 2;
  // Makes the manifest's name; empty: a random UUID.
  std::function<std::string()> manifest_id;
};

bool has_suffix_ignoring_case(std::string_view key, std::string_view suffix) noexcept;

// A random (version 4) UUID.
std::string random_uuid();

// (Overloads instead of a defaulted options argument: g++ 12 mishandles
// defaulted class-type arguments of coroutines called inside co_await.)
template <s3::RequestSender Sender>
boost::asio::awaitable<sign_pdfs_result> run(s3::client<Sender>& s3, sign_pdfs_config config,
                                             sign_pdfs_options options);
template <s3::RequestSender Sender>
boost::asio::awaitable<sign_pdfs_result> run(s3::client<Sender>& s3, sign_pdfs_config config) {
  return run(s3, std::move(config), sign_pdfs_options());
}

// The end of a run in telemetry: one structured log line
// {"event":"complete",…} and one EMF line (namespace s3co/sign_pdfs,
// dimension Function=sign_pdfs).
void log_completion(const sign_pdfs_result& result, telemetry::structured_log& log, std::string_view request_id);
telemetry::emf_record completion_metrics(const sign_pdfs_result& result);

// ---------------------------------------------------------------------------

namespace detail {

struct key_batch {
  std::uint64_t sequence = 0;
  std::vector<std::string> keys;
};

struct signed_batch {
  std::uint64_t sequence = 0;
  std::vector<std::string> keys;
  std::string urls;                     // all URLs of the batch, back to back
  std::vector<std::uint32_t> url_ends;  // end offset of each key's URL; an empty URL marks a failure
};

inline void append_json_number_field(std::string& out, std::string_view name, std::int64_t value) {
  out.append(",\"").append(name).append("\":").append(std::to_string(value));
}

}  // namespace detail

inline bool has_suffix_ignoring_case(std::string_view key, std::string_view suffix) noexcept {
  if (key.size() < suffix.size()) return false;
  const std::string_view tail = key.substr(key.size() - suffix.size());
  return std::equal(tail.begin(), tail.end(), suffix.begin(), [](char a, char b) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    return lower(a) == lower(b);
  });
}

inline std::string random_uuid() {
  thread_local std::mt19937_64 generator{std::random_device{}() ^
                                         static_cast<std::uint64_t>(
                                             std::chrono::steady_clock::now().time_since_epoch().count())};
  std::uint64_t high = generator();
  std::uint64_t low = generator();
  high = (high & 0xffffffffffff0fffull) | 0x0000000000004000ull;  // version 4
  low = (low & 0x3fffffffffffffffull) | 0x8000000000000000ull;    // RFC 4122 variant
  static constexpr char digits[] = "0123456789abcdef";
  std::string text;
  text.reserve(36);
  for (int i = 15; i >= 0; --i) {
    text.push_back(digits[(high >> (i * 4)) & 0xf]);
    if (i == 8 || i == 4) text.push_back('-');
  }
  text.push_back('-');
  for (int i = 15; i >= 0; --i) {
    text.push_back(digits[(low >> (i * 4)) & 0xf]);
    if (i == 12) text.push_back('-');
  }
  return text;
}

inline std::string to_json(const sign_pdfs_result& result) {
  std::string json = "{\"count\":" + std::to_string(result.count);
  detail::append_json_number_field(json, "errors", static_cast<std::int64_t>(result.errors));
  json.append(",\"manifest_key\":");
  sinks::append_json_string_lossy(json, result.manifest_key);
  json.append(",\"manifest_url\":");
  sinks::append_json_string_lossy(json, result.manifest_url);
  detail::append_json_number_field(json, "pages", result.pages);
  detail::append_json_number_field(json, "duration_ms", result.duration_ms);
  json.push_back('}');
  return json;
}

template <s3::RequestSender Sender>
boost::asio::awaitable<sign_pdfs_result> run(s3::client<Sender>& s3, sign_pdfs_config config,
                                             sign_pdfs_options options) {
  using boost::asio::awaitable;
  validate(config);
  const auto started = std::chrono::steady_clock::now();
  const auto executor = co_await boost::asio::this_coro::executor;
  const auto presign_executor = options.presign_executor.value_or(executor);

  sign_pdfs_result result;
  result.manifest_key = config.manifest_prefix + (options.manifest_id ? options.manifest_id() : random_uuid()) + ".jsonl";
  const aws::presigner presigner(s3.credentials(), s3.region(), s3.endpoint());

  s3::multipart_options manifest_options;
  manifest_options.part_size = options.manifest_part_size;
  manifest_options.max_parts_in_flight = options.manifest_parts_in_flight;
  manifest_options.content_type = "application/x-ndjson";
  s3::multipart_upload_stream<Sender> manifest(s3, config.bucket, result.manifest_key, manifest_options);
  sinks::jsonl_writer writer(manifest);

  // Batches hold up to a page of keys: size the key channel in keys.
  const std::size_t batch_capacity =
      std::max<std::size_t>(1, config.queue_size / static_cast<std::size_t>(config.page_size));
  flow::channel<detail::key_batch> keys(batch_capacity);
  flow::channel<detail::signed_batch> signed_batches(static_cast<std::size_t>(config.concurrency) + 1);
  std::atomic<int> live_consumers{config.concurrency};

  auto list_keys = [&]() -> awaitable<void> {
    try {
      s3::list_paginator pages(s3, {config.bucket, config.prefix, "", "", config.page_size, ""});
      std::uint64_t sequence = 0;
      while (auto page = co_await pages.next()) {
        ++result.pages;
        result.response_bytes += page->response_bytes;
        result.keys_listed += page->objects.size();
        if (options.progress) options.progress->keys_listed += page->objects.size();
        detail::key_batch batch{sequence, {}};
        for (auto& object : page->objects) {
          if (has_suffix_ignoring_case(object.key, config.suffix)) batch.keys.push_back(std::move(object.key));
        }
        if (batch.keys.empty()) continue;
        ++sequence;
        co_await keys.send(std::move(batch));
      }
      keys.close();
    } catch (...) {
      keys.close(std::current_exception());  // every consumer stops
      throw;
    }
  };

  auto presign_batches = [&](aws::presigner signer) -> awaitable<void> {
    try {
      while (auto batch = co_await keys.receive()) {
        detail::signed_batch out{batch->sequence, std::move(batch->keys), {}, {}};
        out.urls.reserve(out.keys.size() * 320);
        out.url_ends.reserve(out.keys.size());
        const auto now = std::chrono::system_clock::now();
        for (const auto& key : out.keys) {
          const std::size_t before = out.urls.size();
          try {
            signer.append_presigned(out.urls, {config.bucket, key, config.expiry, now});
          } catch (const aws::config_error&) {
            out.urls.resize(before);  // counted as an error by the writer
          }
          out.url_ends.push_back(static_cast<std::uint32_t>(out.urls.size()));
        }
        if (options.progress) options.progress->presigned += out.keys.size();
        co_await signed_batches.send(std::move(out));
      }
    } catch (...) {
      signed_batches.close(std::current_exception());
      throw;
    }
    if (--live_consumers == 0) signed_batches.close();
  };

  auto write_manifest = [&]() -> awaitable<void> {
    // Batches arrive in any order from the consumers; lines go out in
    // listing order.
    std::map<std::uint64_t, detail::signed_batch> pending;
    std::uint64_t next = 0;
    while (auto batch = co_await signed_batches.receive()) {
      pending.emplace(batch->sequence, std::move(*batch));
      for (auto ready = pending.find(next); ready != pending.end(); ready = pending.find(++next)) {
        const detail::signed_batch& signed_keys = ready->second;
        std::uint32_t url_begin = 0;
        for (std::size_t i = 0; i < signed_keys.keys.size(); ++i) {
          const std::uint32_t url_end = signed_keys.url_ends[i];
          const std::string_view url = std::string_view(signed_keys.urls).substr(url_begin, url_end - url_begin);
          url_begin = url_end;
          if (url.empty()) {
            ++result.errors;
            continue;
          }
          const sinks::jsonl_field line[] = {{"key", signed_keys.keys[i]}, {"url", url}};
          try {
            co_await writer.write_record(line);
            ++result.count;
          } catch (const sinks::invalid_record&) {
            ++result.errors;
          }
        }
        if (options.progress) options.progress->bytes_written = writer.bytes();
        pending.erase(ready);
      }
    }
    co_await writer.flush();
  };

  std::exception_ptr failure;
  bool completing = false;
  try {
    flow::task_group stages(executor);
    stages.spawn(list_keys());
    for (int i = 0; i < config.concurrency; ++i) stages.spawn(presign_executor, presign_batches(presigner));
    stages.spawn(write_manifest());
    co_await stages.wait();
    completing = true;
    // The final request is the commit point. A cancellation must not cut it
    // off in flight (the server could store the manifest after our clean-up
    // ran), so it runs to its end, bounded by the request timeout, on a
    // coroutine the run's cancellation does not reach; a cancellation that
    // arrived meanwhile is honoured right after, and the manifest deleted.
    auto commit = boost::asio::co_spawn(
        executor, manifest.complete(),
        boost::asio::bind_cancellation_slot(boost::asio::cancellation_slot(), boost::asio::use_awaitable));
    const s3::upload_summary uploaded = co_await std::move(commit);
    const auto cancellation = co_await boost::asio::this_coro::cancellation_state;
    if (cancellation.cancelled() != boost::asio::cancellation_type::none) {
      throw boost::system::system_error(boost::asio::error::operation_aborted);
    }
    result.manifest_bytes = uploaded.bytes;
    result.manifest_multipart = uploaded.multipart;
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    // Even when the run was cancelled, the upload must be aborted.
    co_await boost::asio::this_coro::reset_cancellation_state();
    try {
      co_await manifest.abort();
    } catch (...) {
      // The run's own error is the one to report.
    }
    if (completing) {
      // The final PutObject or CompleteMultipartUpload may have stored the
      // manifest although its answer was lost or the run was cancelled
      // while it was in flight: a failed run must leave no manifest.
      try {
        co_await s3.delete_object(config.bucket, result.manifest_key);
      } catch (...) {
        // As above.
      }
    }
    std::rethrow_exception(failure);
  }

  aws::presigner manifest_signer = presigner;
  result.manifest_url =
      manifest_signer.presign({config.bucket, result.manifest_key, config.expiry, std::chrono::system_clock::now()});
  result.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  co_return result;
}

inline void log_completion(const sign_pdfs_result& result, telemetry::structured_log& log,
                           std::string_view request_id) {
  const telemetry::log_field fields[] = {
      {"count", result.count},
      {"errors", result.errors},
      {"pages", result.pages},
      {"duration_ms", result.duration_ms},
      {"keys_listed", result.keys_listed},
      {"manifest_key", result.manifest_key},
      {"manifest_bytes", result.manifest_bytes},
      {"manifest_multipart", result.manifest_multipart},
  };
  log.write(telemetry::log_level::info, "complete", request_id, fields);
}

inline telemetry::emf_record completion_metrics(const sign_pdfs_result& result) {
  telemetry::emf_record metrics("s3co/sign_pdfs");
  metrics.dimension("Function", "sign_pdfs")
      .metric("PDFsProcessed", static_cast<double>(result.count), "Count")
      .metric("S3ListPages", result.pages, "Count")
      .metric("PresignCount", static_cast<double>(result.count + (result.manifest_url.empty() ? 0 : 1)), "Count")
      .metric("ManifestBytes", static_cast<double>(result.manifest_bytes), "Bytes")
      .metric("ResponseBytes", static_cast<double>(result.response_bytes), "Bytes")
      .metric("DurationMs", static_cast<double>(result.duration_ms), "Milliseconds");
  return metrics;
}

}  // namespace s3co::pipelines
