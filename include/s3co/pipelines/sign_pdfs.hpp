// sign_pdfs: list every PDF under a prefix, presign a GET URL for each,
// stream the (key, url) pairs as a JSONL manifest into S3, presign the
// manifest, and report one result.
//
// Shape of a run (all stages at once, memory bounded by the channels):
//
//   listing ──keys──▶ presign × concurrency ──signed──▶ manifest writer ──▶ S3
//
// - One producer lists the prefix with up to config.list_concurrency
//   ListObjectsV2 chains at once, in listing order (s3/parallel_lister.hpp),
//   and sends each page's matching keys (suffix, case-insensitive) as a
//   numbered batch; listing overlaps presigning.
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
//   error), aborts the manifest upload so nothing is left, and is rethrown.
//   An abort that still fails after the stream's abort_timeout turns the
//   error into an s3::upload_left_behind naming the bucket, key and upload id.
//   The manifest's final request is the upload stream's commit point, which
//   a cancellation cannot cut off, and a failure after it deletes a manifest
//   that may have been stored (s3/multipart_upload.hpp).
// - Presigned URLs are signed on the server's clock as the client learned it
//   from the listing's answers, so a skewed local clock still yields live
//   URLs. A server that never says its time (no Date header) leaves up to
//   15 minutes of skew unseen: with an expiry that short the run fails
//   (aws::config_error on expiry_seconds) rather than return URLs that may
//   be dead.
// - A shard of a job (config.shard) writes <manifest_prefix><job_id>/
//   shard-<i>.jsonl and, once that is stored, its result beside it
//   (shard_result_key), which marks it done for combine; when the result
//   cannot be stored the manifest is deleted (sign_pdfs_jobs.hpp).
// - config.deadline bounds the whole run: when it passes, the run stops as
//   on a failure (the clean-up above, bounded by the abort timeout) and
//   throws deadline_exceeded.
// - Cancellation is Asio's per-operation cancellation: spawn the run with a
//   slot, and emit on the run's executor to stop it (handle_sign_pdfs does
//   this for signals):
//
//     boost::asio::cancellation_signal stop;
//     co_spawn(io, run(s3, config), bind_cancellation_slot(stop.slot(), on_done));
//     ... stop.emit(boost::asio::cancellation_type::terminal);  // on io's thread
//
//   The run then cleans up and ends with operation_aborted (system_error).
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
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include "s3co/aws/presigner.hpp"
#include "s3co/detail/text.hpp"
#include "s3co/error.hpp"
#include "s3co/flow/channel.hpp"
#include "s3co/flow/task_group.hpp"
#include "s3co/flow/timeout.hpp"
#include "s3co/pipelines/sign_pdfs_config.hpp"
#include "s3co/s3/client.hpp"
#include "s3co/s3/list_objects.hpp"
#include "s3co/s3/multipart_upload.hpp"
#include "s3co/s3/parallel_lister.hpp"
#include "s3co/sinks/json_escape.hpp"
#include "s3co/sinks/jsonl_writer.hpp"
#include "s3co/telemetry/emf.hpp"
#include "s3co/telemetry/structured_log.hpp"

namespace s3co::pipelines {

struct sign_pdfs_result {
  std::uint64_t count = 0;   // manifest lines
  std::uint64_t errors = 0;  // matching keys left out of the manifest
  std::string manifest_key{};
  std::string manifest_url{};
  int pages = 0;  // ListObjectsV2 answers
  std::int64_t duration_ms = 0;
  // Beyond the result JSON, for telemetry:
  std::uint64_t keys_listed = 0;
  std::uint64_t manifest_bytes = 0;
  std::uint64_t list_response_bytes = 0;  // ListObjectsV2 bodies received
  std::uint64_t list_chains = 0;          // ranges the parallel listing cut the prefix into
  bool manifest_multipart = false;
};

// {"count":…,"errors":…,"manifest_key":…,"manifest_url":…,"pages":…,"duration_ms":…}
std::string to_json(const sign_pdfs_result& result);

// Counters a progress display may read while a run goes on (any thread).
struct sign_pdfs_progress {
  std::atomic<std::uint64_t> list_pages{0};   // ListObjectsV2 answers so far
  std::atomic<std::uint64_t> list_chains{0};  // listing ranges started so far
  std::atomic<std::uint64_t> keys_listed{0};
  std::atomic<std::uint64_t> presigned{0};
  std::atomic<std::uint64_t> bytes_written{0};
};

struct sign_pdfs_options {
  // Where the presigning consumers run; empty: the run's own executor.
  std::optional<boost::asio::any_io_executor> presign_executor{};
  sign_pdfs_progress* progress = nullptr;
  // S3's smallest part, 2 in flight: the manifest holds at most 15 MiB of
  // memory however many keys, and may reach 10,000 x 5 MiB (over 100M keys).
  std::size_t manifest_part_size = s3::min_part_size;
  std::size_t manifest_parts_in_flight = 2;
  // Makes the manifest's name; empty: a random UUID.
  std::function<std::string()> manifest_id{};
  // How long a failed run keeps trying to abort the manifest upload.
  std::chrono::milliseconds abort_timeout = s3::multipart_options().abort_timeout;
};

// The run did not finish within config.deadline; it cleaned up as on any
// failure.
class deadline_exceeded : public s3co::error {
 public:
  explicit deadline_exceeded(std::chrono::seconds deadline)
      : s3co::error("sign_pdfs did not finish within its deadline of " + std::to_string(deadline.count()) + " s",
                    {.operation = "sign_pdfs", .retryable = true}) {}
};

bool has_suffix_ignoring_case(std::string_view key, std::string_view suffix) noexcept;

// Where shard `shard` of job `job_id` keeps its manifest
// (<manifest_prefix><job_id>/shard-<shard>.jsonl), and its result
// (…/shard-<shard>.json), which a shard writes once its manifest is stored:
// {"shard":…,"shards":…,"count":…,"errors":…,"pages":…,"keys_listed":…,
//  "list_chains":…,"manifest_bytes":…}. sign_pdfs_jobs.hpp's combine reads it.
std::string shard_manifest_key(std::string_view manifest_prefix, std::string_view job_id, int shard);
std::string shard_result_key(std::string_view manifest_prefix, std::string_view job_id, int shard);
std::string shard_result_json(const sign_pdfs_result& result, int shard, int shards);

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

// A listing's page in the progress counters (a run's, and a plan's).
inline void report_listed_page(sign_pdfs_progress* progress, const s3::list_page& page,
                               const s3::parallel_list_stats& stats) {
  if (!progress) return;
  progress->keys_listed += page.objects.size();
  progress->list_pages = stats.requests;
  progress->list_chains = stats.chains_started;
}

inline void count_page(sign_pdfs_result& result, const s3::list_page& page, const s3::parallel_list_stats& stats,
                       sign_pdfs_progress* progress) {
  result.pages = static_cast<int>(stats.requests);
  result.list_chains = stats.chains_started;
  result.list_response_bytes += page.response_bytes;
  result.keys_listed += page.objects.size();
  report_listed_page(progress, page, stats);
}

// How a job's shards name their objects under <manifest_prefix><job_id>/.
inline constexpr std::string_view shard_stem = "shard-";
inline constexpr std::string_view shard_manifest_suffix = ".jsonl";
inline constexpr std::string_view shard_result_suffix = ".json";

inline std::string shard_object_key(std::string_view manifest_prefix, std::string_view job_id, int shard,
                                    std::string_view suffix) {
  return aws::detail::concat({manifest_prefix, job_id, "/", shard_stem, std::to_string(shard), suffix});
}

// Room for the URLs of `keys`, when each takes `bytes_besides_key` and its
// key, with an eighth more for percent-escapes.
inline std::size_t url_bytes_estimate(const std::vector<std::string>& keys, std::size_t bytes_besides_key) {
  std::size_t total = 0;
  for (const auto& key : keys) total += bytes_besides_key + key.size() + key.size() / 8;
  return total;
}

// Presigns every key of a batch; a key that cannot be presigned gets an
// empty URL, which the writer counts as an error.
inline signed_batch presign_batch(aws::presigner& signer, const sign_pdfs_config& config, key_batch batch,
                                  sign_pdfs_progress* progress) {
  signed_batch out{batch.sequence, std::move(batch.keys), {}, {}};
  out.url_ends.reserve(out.keys.size());
  const auto now = signer.now();
  for (const auto& key : out.keys) {
    const std::size_t before = out.urls.size();
    // The first URL tells how long the rest will be (the same but for the
    // key, which may be percent-encoded): one allocation per batch.
    if (before != 0 && out.url_ends.size() == 1) out.urls.reserve(url_bytes_estimate(out.keys, before - out.keys[0].size()));
    try {
      signer.append_presigned(out.urls, {.bucket = config.bucket, .key = key, .expires = config.expiry, .at = now});
    } catch (const aws::config_error&) {
      out.urls.resize(before);
    }
    out.url_ends.push_back(static_cast<std::uint32_t>(out.urls.size()));
  }
  if (progress) progress->presigned += out.keys.size();
  return out;
}

// Puts numbered batches back in sequence: push() one as it arrives, and take
// the run that is ready with the returned batch and pop() until it is empty.
class batch_reorderer {
 public:
  std::optional<signed_batch> push(signed_batch batch) {
    pending_.emplace(batch.sequence, std::move(batch));
    return pop();
  }
  std::optional<signed_batch> pop() {
    const auto ready = pending_.find(next_);
    if (ready == pending_.end()) return std::nullopt;
    signed_batch batch = std::move(ready->second);
    pending_.erase(ready);
    ++next_;
    return batch;
  }

 private:
  std::map<std::uint64_t, signed_batch> pending_;
  std::uint64_t next_ = 0;
};

template <typename Writer>
boost::asio::awaitable<void> write_batch(Writer& writer, const signed_batch& batch, sign_pdfs_result& result) {
  std::uint32_t url_begin = 0;
  for (std::size_t i = 0; i < batch.keys.size(); ++i) {
    const std::uint32_t url_end = batch.url_ends[i];
    const std::string_view url = std::string_view(batch.urls).substr(url_begin, url_end - url_begin);
    url_begin = url_end;
    if (url.empty()) {
      ++result.errors;
      continue;
    }
    try {
      co_await writer.write_record({"key", batch.keys[i]}, {"url", url});
      ++result.count;
    } catch (const sinks::invalid_record&) {
      ++result.errors;
    }
  }
}

// A server that never says its time (no Date header) leaves a skew of up to
// s3::max_accepted_skew unseen, which would kill URLs that live no longer:
// rather than return them, fail.
template <s3::RequestSender Sender>
void require_known_clock_or_long_expiry(const s3::client<Sender>& s3, std::chrono::seconds expiry) {
  const auto allowance = std::chrono::duration_cast<std::chrono::seconds>(s3::max_accepted_skew);
  if (s3.server_time_known() || expiry > allowance) return;
  throw aws::config_error("expiry_seconds",
                          std::to_string(expiry.count()) + " is too short for a server that sends no Date header: " +
                              "the local clock may be up to " + std::to_string(allowance.count()) +
                              " s off its clock unnoticed, and URLs could expire on arrival; give more than " +
                              std::to_string(allowance.count()));
}

// The run's three stages; run() owns everything they refer to.

// Lists the prefix (config.list_concurrency chains at once, in listing
// order) and sends each page's matching keys as a numbered batch; a failure
// closes `keys` with it, so every consumer stops.
template <s3::RequestSender Sender>
boost::asio::awaitable<void> list_matching_keys(s3::client<Sender>& s3, const sign_pdfs_config& config,
                                                flow::channel<key_batch>& keys, sign_pdfs_result& result,
                                                sign_pdfs_progress* progress) {
  s3::parallel_lister pages(
      s3, {.bucket = config.bucket, .prefix = config.prefix, .start_after = config.start_after, .max_keys = config.page_size},
      {.chains = config.list_concurrency, .end_before = config.end_before});
  std::exception_ptr failure;
  try {
    std::uint64_t sequence = 0;
    bool first_page = true;
    while (auto page = co_await pages.next()) {
      count_page(result, *page, pages.stats(), progress);
      if (std::exchange(first_page, false)) require_known_clock_or_long_expiry(s3, config.expiry);
      key_batch batch{sequence, {}};
      for (auto& object : page->objects) {
        if (s3co::detail::ends_with_ignoring_ascii_case(object.key, config.suffix)) {
          batch.keys.push_back(std::move(object.key));
        }
      }
      if (batch.keys.empty()) continue;
      ++sequence;
      co_await keys.send(std::move(batch));
    }
    if (first_page) require_known_clock_or_long_expiry(s3, config.expiry);  // an empty listing
    const s3::parallel_list_stats listed = pages.stats();
    result.pages = static_cast<int>(listed.requests);
    result.list_chains = listed.chains_started;
    keys.close();
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    keys.close(failure);  // every consumer stops
    // The lister's chains use the client: they end before this stage does.
    co_await boost::asio::this_coro::reset_cancellation_state();
    co_await pages.stop();
    std::rethrow_exception(failure);
  }
}

// One presigning consumer, with a presigner of its own (made on the run's
// executor: the consumer may run elsewhere); the last one to finish closes
// `signed_batches`.
template <s3::RequestSender Sender>
boost::asio::awaitable<void> presign_keys(const s3::client<Sender>& s3, aws::presigner signer,
                                          const sign_pdfs_config& config, flow::channel<key_batch>& keys,
                                          flow::channel<signed_batch>& signed_batches,
                                          std::atomic<int>& live_consumers, sign_pdfs_progress* progress) {
  try {
    while (auto batch = co_await keys.receive()) {
      // The server's clock, learned from the listing's answers.
      signer.set_clock_offset(s3.clock_offset());
      co_await signed_batches.send(presign_batch(signer, config, std::move(*batch), progress));
    }
  } catch (...) {
    signed_batches.close(std::current_exception());
    throw;
  }
  if (--live_consumers == 0) signed_batches.close();
}

// Writes the batches, which arrive in any order from the consumers, in
// listing order.
template <typename Writer>
boost::asio::awaitable<void> write_in_listing_order(flow::channel<signed_batch>& signed_batches, Writer& writer,
                                                    sign_pdfs_result& result, sign_pdfs_progress* progress) {
  batch_reorderer in_listing_order;
  while (auto batch = co_await signed_batches.receive()) {
    for (auto ready = in_listing_order.push(std::move(*batch)); ready; ready = in_listing_order.pop()) {
      co_await write_batch(writer, *ready, result);
      if (progress) progress->bytes_written = writer.bytes();
    }
  }
  co_await writer.flush();
}

// Aborts the upload after the run's `failure`; an upload that could not be
// aborted is named along with that failure.
template <typename Upload>
boost::asio::awaitable<void> abort_after(Upload& upload, std::exception_ptr failure) {
  try {
    co_await upload.abort();
  } catch (const s3::upload_left_behind& left) {
    throw s3::make_upload_left_behind(failure, left.bucket(), left.key(), left.upload_id(), left.abort_error());
  } catch (...) {
    // The run's own error is the one to report.
  }
}

// `op`, ended by deadline_exceeded once `deadline` (when there is one) has
// passed since `started`.
template <typename T>
boost::asio::awaitable<T> before_deadline(boost::asio::awaitable<T> op, std::chrono::steady_clock::time_point started,
                                          std::optional<std::chrono::seconds> deadline) {
  if (!deadline) co_return co_await std::move(op);
  const auto time_left = started + *deadline - std::chrono::steady_clock::now();
  try {
    co_return co_await flow::with_timeout(std::move(op), time_left);
  } catch (const flow::timeout_error&) {
    throw deadline_exceeded(*deadline);
  }
}

// Fills `manifest` with `fill` and completes it, both before the deadline.
// A failure or cancellation while filling aborts the upload, so nothing is
// left; complete() is the commit point: on a failure or a cancellation from
// there on, the stream aborts the upload and deletes a manifest that may
// have been stored (multipart_upload.hpp).
template <typename Upload>
boost::asio::awaitable<s3::upload_summary> fill_and_complete(Upload& manifest, boost::asio::awaitable<void> fill,
                                                             std::chrono::steady_clock::time_point started,
                                                             std::optional<std::chrono::seconds> deadline) {
  std::exception_ptr failure;
  try {
    co_await before_deadline(std::move(fill), started, deadline);
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    co_await boost::asio::this_coro::reset_cancellation_state();  // even a cancelled run aborts its upload
    co_await abort_after(manifest, failure);
    std::rethrow_exception(failure);
  }
  co_return co_await before_deadline(manifest.complete(), started, deadline);
}

// A shard's result, stored beside its manifest once the manifest is: what
// marks the shard done for combine. When it cannot be stored the manifest is
// deleted, so a shard is either done or absent.
template <s3::RequestSender Sender>
boost::asio::awaitable<void> record_shard_result(s3::client<Sender>& s3, const sign_pdfs_config& config,
                                                 const sign_pdfs_result& result,
                                                 std::chrono::steady_clock::time_point started) {
  const std::string key = shard_result_key(config.manifest_prefix, config.job_id, *config.shard);
  std::exception_ptr failure;
  try {
    co_await before_deadline(
        s3.put_object({.bucket = config.bucket, .key = key, .attributes = {.content_type = "application/json"}},
                      shard_result_json(result, *config.shard, config.shards)),
        started, config.deadline);
  } catch (...) {
    failure = std::current_exception();
  }
  if (!failure) co_return;
  co_await boost::asio::this_coro::reset_cancellation_state();
  try {
    co_await s3.delete_object({.bucket = config.bucket, .key = result.manifest_key});
  } catch (...) {
    // The shard's own error is the one to report; a manifest without its
    // result is never combined, and the shard's next run replaces it.
  }
  std::rethrow_exception(failure);
}

}  // namespace detail

inline bool has_suffix_ignoring_case(std::string_view key, std::string_view suffix) noexcept {
  return s3co::detail::ends_with_ignoring_ascii_case(key, suffix);
}

inline std::string shard_manifest_key(std::string_view manifest_prefix, std::string_view job_id, int shard) {
  return detail::shard_object_key(manifest_prefix, job_id, shard, detail::shard_manifest_suffix);
}

inline std::string shard_result_key(std::string_view manifest_prefix, std::string_view job_id, int shard) {
  return detail::shard_object_key(manifest_prefix, job_id, shard, detail::shard_result_suffix);
}

inline std::string shard_result_json(const sign_pdfs_result& result, int shard, int shards) {
  std::string json = "{\"shard\":" + std::to_string(shard);
  detail::append_json_number_field(json, "shards", shards);
  detail::append_json_number_field(json, "count", static_cast<std::int64_t>(result.count));
  detail::append_json_number_field(json, "errors", static_cast<std::int64_t>(result.errors));
  detail::append_json_number_field(json, "pages", result.pages);
  detail::append_json_number_field(json, "keys_listed", static_cast<std::int64_t>(result.keys_listed));
  detail::append_json_number_field(json, "list_chains", static_cast<std::int64_t>(result.list_chains));
  detail::append_json_number_field(json, "manifest_bytes", static_cast<std::int64_t>(result.manifest_bytes));
  json.push_back('}');
  return json;
}

inline std::string random_uuid() {
  thread_local std::mt19937_64 generator{std::random_device{}() ^
                                         static_cast<std::uint64_t>(
                                             std::chrono::steady_clock::now().time_since_epoch().count())};
  std::uint64_t high = generator();
  std::uint64_t low = generator();
  high = (high & 0xffffffffffff0fffull) | 0x0000000000004000ull;  // version 4
  low = (low & 0x3fffffffffffffffull) | 0x8000000000000000ull;    // RFC 4122 variant
  constexpr std::string_view digits = s3co::detail::lower_hex_digits;
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
  validate(config);
  const auto started = std::chrono::steady_clock::now();
  const auto executor = co_await boost::asio::this_coro::executor;

  sign_pdfs_result result;
  if (config.shard) {
    result.manifest_key = shard_manifest_key(config.manifest_prefix, config.job_id, *config.shard);
  } else {
    const std::string id = !config.job_id.empty() ? config.job_id
                           : options.manifest_id  ? options.manifest_id()
                                                  : random_uuid();
    result.manifest_key = config.manifest_prefix + id + ".jsonl";
  }
  s3::multipart_upload_stream<Sender> manifest(s3, config.bucket, result.manifest_key,
                                               {.part_size = options.manifest_part_size,
                                                .max_parts_in_flight = options.manifest_parts_in_flight,
                                                .attributes = {.content_type = "application/x-ndjson"},
                                                .abort_timeout = options.abort_timeout});
  sinks::jsonl_writer writer(manifest);

  // Batches hold up to a page of keys: size the key channel in keys.
  flow::channel<detail::key_batch> keys(
      std::max<std::size_t>(1, config.queue_size / static_cast<std::size_t>(config.page_size)));
  flow::channel<detail::signed_batch> signed_batches(static_cast<std::size_t>(config.concurrency) + 1);
  std::atomic<int> live_consumers{config.concurrency};

  const auto all_stages = [&]() -> boost::asio::awaitable<void> {
    flow::task_group stages(executor);
    stages.spawn(detail::list_matching_keys(s3, config, keys, result, options.progress));
    for (int i = 0; i < config.concurrency; ++i) {
      stages.spawn(options.presign_executor.value_or(executor),
                   detail::presign_keys(s3, s3.presigner(), config, keys, signed_batches, live_consumers,
                                        options.progress));
    }
    stages.spawn(detail::write_in_listing_order(signed_batches, writer, result, options.progress));
    co_await stages.wait();
  };
  const s3::upload_summary uploaded = co_await detail::fill_and_complete(manifest, all_stages(), started, config.deadline);
  result.manifest_bytes = uploaded.bytes;
  result.manifest_multipart = uploaded.multipart;
  if (config.shard) co_await detail::record_shard_result(s3, config, result, started);
  result.manifest_url = s3.presigner().presign(
      {.bucket = config.bucket, .key = result.manifest_key, .expires = config.expiry});
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
      {"list_chains", result.list_chains},
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
      .metric("ResponseBytes", static_cast<double>(to_json(result).size()), "Bytes")
      .metric("S3ListResponseBytes", static_cast<double>(result.list_response_bytes), "Bytes")
      .metric("DurationMs", static_cast<double>(result.duration_ms), "Milliseconds");
  return metrics;
}

}  // namespace s3co::pipelines

#if defined(S3CO_SEPARATE_COMPILATION)
// Separate compilation (detail/config.hpp): the run over the Beast transport
// is compiled once, by s3co/pipelines/src.hpp (s3co::sign_pdfs_compiled).
#include "s3co/http/client.hpp"
extern template boost::asio::awaitable<s3co::pipelines::sign_pdfs_result> s3co::pipelines::run<s3co::http::client>(
    s3co::s3::client<s3co::http::client>&, s3co::pipelines::sign_pdfs_config, s3co::pipelines::sign_pdfs_options);
#endif
