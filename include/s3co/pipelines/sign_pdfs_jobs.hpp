// sign_pdfs past one machine: a job split into shards that a distributed
// engine runs (a Step Functions Map state over Lambda functions, a fleet of
// workers reading a queue), and the shards' manifests joined into one.
//
//   plan(config: plan = N)        N shard events: the event's fields plus
//        │                        start_after, end_before, job_id, shard, shards
//        ▼
//   run(shard i), anywhere        <manifest_prefix><job>/shard-<i>.jsonl, then
//        │  (sign_pdfs.hpp)       …/shard-<i>.json, its result (the shard is done)
//        ▼
//   combine(config: combine=job)  <manifest_prefix><job>.jsonl: the shard
//                                 manifests in shard order, presigned
//
// Plan. Lists the prefix (within the event's own start_after/end_before,
// config.list_concurrency chains at once) and cuts it into N ranges of about
// equal counts of listed keys. It keeps no more than a bounded sample of the
// keys (range_sampler below): every s-th key, s doubling whenever the sample
// fills, so memory depends on N, not on the key count, and each cut lands
// within 1/16 of a shard of its ideal place. Shard i lists the keys k with
// cut(i) < k < cut(i+1) + NUL, i.e. up to and including cut(i+1), the last
// key of its range; shard 0 starts at the event's start_after, the last
// shard ends at its end_before. The plan lists the whole prefix once: key
// counts are not known otherwise, and the parallel listing makes that the
// cheap part of a job. Keys written after the plan still land in exactly
// one shard (the ranges tile the key space), only the balance is the plan's.
// With fewer keys than shards, the spare shards get empty ranges
// (cut, cut + NUL), which cost one request each.
//
// Combine. Lists <manifest_prefix><job>/ and requires, for every shard
// 0..N-1 (N as the shards' results say), its result and a manifest of the
// size that result records; a missing one is an error naming the shard and
// the object. The manifests are appended in shard order to one multipart
// upload stream (s3/multipart_upload.hpp), each pinned to the ETag it was
// listed with: one of at least 5 MiB is copied server-side (UploadPartCopy),
// a smaller one is read through in ranged GETs, so memory stays at the
// stream's parts in flight. With a fixed clock the job's manifest is byte
// for byte what one run over the whole prefix writes. The result is a run's
// (sign_pdfs_result, summed over the shards, with the job manifest's key and
// presigned URL); as with a run, a failure or cancellation aborts the upload
// and leaves nothing, and the shard objects are left as they were.
//
// Ownership: plan() and combine() refer to the S3 client, which must
// outlive them; all other state lives in their own frames.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/this_coro.hpp>
#include <simdjson.h>

#include "s3co/error.hpp"
#include "s3co/flow/task_group.hpp"
#include "s3co/pipelines/sign_pdfs.hpp"
#include "s3co/pipelines/sign_pdfs_config.hpp"
#include "s3co/s3/client.hpp"
#include "s3co/s3/list_objects.hpp"
#include "s3co/s3/multipart_upload.hpp"
#include "s3co/s3/parallel_lister.hpp"
#include "s3co/sinks/json_escape.hpp"

namespace s3co::pipelines {

struct shard_plan {
  std::string job_id{};
  std::vector<sign_pdfs_config> shards{};  // each an ordinary run's config (to_event_json makes its event)
  std::uint64_t keys_listed = 0;
  int pages = 0;
  std::uint64_t list_chains = 0;
  std::int64_t duration_ms = 0;
};

struct plan_options {
  sign_pdfs_progress* progress = nullptr;  // list_pages, list_chains and keys_listed move
  std::function<std::string()> job_id{};   // names a job the config does not; empty: a random UUID
};

struct combine_options {
  // The job manifest's upload stream, as a run's (sign_pdfs_options).
  std::size_t part_size = s3::min_part_size;
  std::size_t parts_in_flight = 2;
  std::chrono::milliseconds abort_timeout = s3::multipart_options().abort_timeout;
  int result_reads_at_once = 16;  // GETs of the shards' results in flight
};

// A job's shards are not all done, or do not agree: names the shard.
class incomplete_job : public s3co::error {
 public:
  incomplete_job(std::string job_id, int shard, const std::string& problem)
      : s3co::error("job " + job_id + (shard >= 0 ? ", shard " + std::to_string(shard) : std::string()) + ": " +
                        problem,
                    {.operation = "combine"}),
        job_id_(std::move(job_id)),
        shard_(shard) {}
  const std::string& job_id() const noexcept { return job_id_; }
  int shard() const noexcept { return shard_; }  // -1: the job as a whole

 private:
  std::string job_id_;
  int shard_;
};

// An event (sign_pdfs_config.hpp's fields) that load_sign_pdfs_config reads
// back into `config`: every field written out, none left to the environment.
std::string to_event_json(const sign_pdfs_config& config);

// {"job_id":…,"shards":[<event>,…],"keys_listed":…,"pages":…,"list_chains":…,"duration_ms":…}
std::string to_json(const shard_plan& plan);

// Plans config.plan shards of the listing `config` describes.
template <s3::RequestSender Sender>
boost::asio::awaitable<shard_plan> plan(s3::client<Sender>& s3, sign_pdfs_config config, plan_options options);
template <s3::RequestSender Sender>
boost::asio::awaitable<shard_plan> plan(s3::client<Sender>& s3, sign_pdfs_config config) {
  return plan(s3, std::move(config), plan_options());
}

// Writes job config.combine's manifest from its shards' manifests.
template <s3::RequestSender Sender>
boost::asio::awaitable<sign_pdfs_result> combine(s3::client<Sender>& s3, sign_pdfs_config config,
                                                 combine_options options);
template <s3::RequestSender Sender>
boost::asio::awaitable<sign_pdfs_result> combine(s3::client<Sender>& s3, sign_pdfs_config config) {
  return combine(s3, std::move(config), combine_options());
}

// ---------------------------------------------------------------------------

namespace detail {

// A bounded, evenly spaced sample of keys given in listing order: the key
// at every position (j + 1) * stride - 1, the stride doubling (every other
// sample dropped) whenever `capacity` samples are held.
class range_sampler {
 public:
  explicit range_sampler(std::size_t capacity) : capacity_(std::max<std::size_t>(2, capacity + capacity % 2)) {}

  void add(std::string_view key) {
    if (++count_ % stride_ != 0) return;
    samples_.emplace_back(key);
    if (samples_.size() < capacity_) return;
    for (std::size_t j = 1; j < samples_.size(); j += 2) samples_[j / 2] = std::move(samples_[j]);
    samples_.resize(samples_.size() / 2);
    stride_ *= 2;
  }

  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t stride() const noexcept { return stride_; }

  // The `shards - 1` inner cuts of `shards` ranges of about count() / shards
  // keys: cut i is the sampled key nearest to the last key of range i - 1,
  // in listing order. None when no key was seen.
  std::vector<std::string> cuts(int shards) const {
    std::vector<std::string> out;
    if (samples_.empty() || shards < 2) return out;
    const auto ranges = static_cast<std::uint64_t>(shards);
    for (std::uint64_t i = 1; i < ranges; ++i) {
      // Range i starts at position ceil(i * count / shards); the cut is the key before it.
      const std::uint64_t starts_at = (i * count_ + ranges - 1) / ranges;
      const std::uint64_t nearest = (starts_at + stride_ / 2) / stride_;  // samples up to the cut, rounded
      const std::uint64_t sample = std::clamp<std::uint64_t>(nearest, 1, samples_.size()) - 1;
      out.push_back(samples_[static_cast<std::size_t>(sample)]);
    }
    return out;
  }

 private:
  std::size_t capacity_;
  std::uint64_t stride_ = 1;
  std::uint64_t count_ = 0;
  std::vector<std::string> samples_;
};

// How many keys a plan of `shards` samples at most: cuts then fall within
// 1/16 of a shard of their ideal place.
inline std::size_t plan_sample_capacity(int shards) { return std::max<std::size_t>(1024, 16 * static_cast<std::size_t>(shards)); }

// The shard configs for `cuts` (range_sampler::cuts) of `job`'s listing.
inline std::vector<sign_pdfs_config> shard_configs(const sign_pdfs_config& job, const std::vector<std::string>& cuts) {
  const int shards = job.plan;
  std::vector<sign_pdfs_config> out;
  out.reserve(static_cast<std::size_t>(shards));
  // With no key seen every cut is the job's start: the spare ranges are empty.
  const auto cut = [&](int i) -> const std::string& {
    return cuts.empty() ? job.start_after : cuts[static_cast<std::size_t>(i - 1)];
  };
  for (int i = 0; i < shards; ++i) {
    sign_pdfs_config shard = job;
    shard.plan = 0;
    shard.shard = i;
    shard.shards = shards;
    shard.start_after = i == 0 ? job.start_after : cut(i);
    shard.end_before = i + 1 == shards ? job.end_before : std::optional<std::string>(cut(i + 1) + '\0');
    out.push_back(std::move(shard));
  }
  return out;
}

// What combine knows of one shard: its result and its manifest as listed.
struct shard_record {
  std::optional<s3::object_summary> manifest{};
  std::optional<std::string> result_key{};
  sign_pdfs_result result{};
  int shards = 0;  // as the result says
};

// The shard number in "shard-<n><suffix>" (the name under the job's folder,
// as shard_object_key makes it), or -1.
inline int shard_number(std::string_view name, std::string_view suffix) {
  if (!name.starts_with(shard_stem) || !name.ends_with(suffix)) return -1;
  const std::string_view digits = name.substr(shard_stem.size(), name.size() - shard_stem.size() - suffix.size());
  if (digits.empty() || digits.size() > 5 || (digits.size() > 1 && digits.front() == '0')) return -1;
  int number = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return -1;
    number = number * 10 + (c - '0');
  }
  return number < max_shards ? number : -1;
}

// Reads a shard's result (shard_result_json) into `record`; throws
// incomplete_job when it is not one, or is another shard's.
inline void read_shard_result(std::string_view body, int shard, const std::string& job_id, shard_record& record) {
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(body);
  simdjson::dom::object object;
  const auto bad = [&](const std::string& why) {
    return incomplete_job(job_id, shard, "its result " + *record.result_key + " " + why);
  };
  if (parser.parse(padded).get(object)) throw bad("is not a JSON object");
  const auto number = [&](std::string_view field) -> std::int64_t {
    std::int64_t value = 0;
    if (object[field].get(value) || value < 0) throw bad("has no count " + std::string(field));
    return value;
  };
  if (number("shard") != shard) throw bad("is for shard " + std::to_string(number("shard")));
  record.shards = static_cast<int>(number("shards"));
  record.result.count = static_cast<std::uint64_t>(number("count"));
  record.result.errors = static_cast<std::uint64_t>(number("errors"));
  record.result.pages = static_cast<int>(number("pages"));
  record.result.keys_listed = static_cast<std::uint64_t>(number("keys_listed"));
  record.result.list_chains = static_cast<std::uint64_t>(number("list_chains"));
  record.result.manifest_bytes = static_cast<std::uint64_t>(number("manifest_bytes"));
}

// Lists the job's folder: every shard's manifest and result key, by number.
template <s3::RequestSender Sender>
boost::asio::awaitable<std::map<int, shard_record>> list_shards(s3::client<Sender>& s3, const sign_pdfs_config& config) {
  const std::string folder = config.manifest_prefix + config.combine + "/";
  s3::list_paginator<Sender> pages(s3, {.bucket = config.bucket, .prefix = folder});
  std::map<int, shard_record> shards;
  while (auto page = co_await pages.next()) {
    for (auto& object : page->objects) {
      const std::string_view name = std::string_view(object.key).substr(folder.size());
      if (const int manifest = shard_number(name, shard_manifest_suffix); manifest >= 0) {
        shards[manifest].manifest = std::move(object);
      } else if (const int result = shard_number(name, shard_result_suffix); result >= 0) {
        shards[result].result_key = std::move(object.key);
      }
    }
  }
  co_return shards;
}

// Reads every listed result, `at_once` GETs in flight.
template <s3::RequestSender Sender>
boost::asio::awaitable<void> read_shard_results(s3::client<Sender>& s3, const sign_pdfs_config& config,
                                                std::map<int, shard_record>& shards, int at_once) {
  std::vector<std::pair<const int, shard_record>*> pending;
  for (auto& entry : shards) {
    if (entry.second.result_key) pending.push_back(&entry);
  }
  std::size_t next = 0;  // the workers share the run's executor: no lock
  const auto reader = [&]() -> boost::asio::awaitable<void> {
    while (next < pending.size()) {
      auto& [shard, record] = *pending[next++];
      const std::string body = co_await s3.get_object({.bucket = config.bucket, .key = *record.result_key});
      read_shard_result(body, shard, config.combine, record);
    }
  };
  flow::task_group readers(co_await boost::asio::this_coro::executor);
  for (int i = 0; i < std::min<int>(at_once, static_cast<int>(pending.size())); ++i) readers.spawn(reader());
  co_await readers.wait();
}

// The shards 0..N-1 in order, each with its result and a manifest of the
// size that result records; throws incomplete_job naming the first that is not.
inline std::vector<shard_record> complete_shards(std::map<int, shard_record> listed, const sign_pdfs_config& config) {
  const std::string& job = config.combine;
  const auto with_result = std::find_if(listed.begin(), listed.end(), [](const auto& entry) { return entry.second.shards > 0; });
  if (with_result == listed.end()) {
    throw incomplete_job(job, -1, "no shard has finished (no result under " + config.manifest_prefix + job + "/)");
  }
  const int shards = with_result->second.shards;
  std::vector<shard_record> ordered;
  ordered.reserve(static_cast<std::size_t>(shards));
  for (int i = 0; i < shards; ++i) {
    const auto found = listed.find(i);
    if (found == listed.end() || !found->second.result_key) {
      throw incomplete_job(job, i, "has not finished: " + shard_result_key(config.manifest_prefix, job, i) +
                                       " does not exist (run the shard again)");
    }
    shard_record& record = found->second;
    if (record.shards != shards) {
      throw incomplete_job(job, i, "belongs to a plan of " + std::to_string(record.shards) + " shards, shard " +
                                       std::to_string(with_result->first) + " to one of " + std::to_string(shards));
    }
    if (!record.manifest) {
      throw incomplete_job(job, i, "has a result but no manifest " +
                                       shard_manifest_key(config.manifest_prefix, job, i) + " (run the shard again)");
    }
    if (record.manifest->size != record.result.manifest_bytes) {
      throw incomplete_job(job, i, "manifest holds " + std::to_string(record.manifest->size) +
                                       " bytes, its result says " + std::to_string(record.result.manifest_bytes) +
                                       " (a run of the shard may be in progress; combine again after it)");
    }
    ordered.push_back(std::move(record));
  }
  if (const auto beyond = listed.lower_bound(shards); beyond != listed.end()) {
    throw incomplete_job(job, beyond->first, "lies beyond the " + std::to_string(shards) + " shards of the plan");
  }
  return ordered;
}

// Appends the shard manifests, in order, to the job's manifest stream.
template <typename Upload>
boost::asio::awaitable<void> append_shard_manifests(Upload& manifest, const sign_pdfs_config& config,
                                                    const std::vector<shard_record>& shards) {
  for (const shard_record& shard : shards) {
    // (Named first: g++ 12 frees a braced temporary that owns memory twice inside co_await.)
    s3::stored_object source{config.bucket, shard.manifest->key, shard.manifest->size, shard.manifest->etag};
    co_await manifest.append_object(std::move(source));
  }
}

}  // namespace detail

inline std::string to_event_json(const sign_pdfs_config& config) {
  std::string json = "{\"bucket\":";
  const auto text = [&](std::string_view name, std::string_view value) {
    json.append(",\"").append(name).append("\":");
    sinks::append_json_string_lossy(json, value);
  };
  sinks::append_json_string_lossy(json, config.bucket);
  text("prefix", config.prefix);
  detail::append_json_number_field(json, "expiry_seconds", config.expiry.count());
  detail::append_json_number_field(json, "page_size", config.page_size);
  detail::append_json_number_field(json, "concurrency", config.concurrency);
  detail::append_json_number_field(json, "list_concurrency", config.list_concurrency);
  detail::append_json_number_field(json, "queue_size", static_cast<std::int64_t>(config.queue_size));
  text("suffix", config.suffix);
  text("manifest_prefix", config.manifest_prefix);
  detail::append_json_number_field(json, "request_timeout_seconds", config.request_timeout.count());
  if (config.deadline) detail::append_json_number_field(json, "deadline_seconds", config.deadline->count());
  if (!config.start_after.empty()) text("start_after", config.start_after);
  if (config.end_before) text("end_before", *config.end_before);
  if (!config.job_id.empty()) text("job_id", config.job_id);
  if (config.shard) {
    detail::append_json_number_field(json, "shard", *config.shard);
    detail::append_json_number_field(json, "shards", config.shards);
  }
  if (config.plan != 0) detail::append_json_number_field(json, "plan", config.plan);
  if (!config.combine.empty()) text("combine", config.combine);
  json.push_back('}');
  return json;
}

inline std::string to_json(const shard_plan& plan) {
  std::string json = "{\"job_id\":";
  sinks::append_json_string_lossy(json, plan.job_id);
  json.append(",\"shards\":[");
  for (std::size_t i = 0; i < plan.shards.size(); ++i) {
    if (i > 0) json.push_back(',');
    json.append(to_event_json(plan.shards[i]));
  }
  json.push_back(']');
  detail::append_json_number_field(json, "keys_listed", static_cast<std::int64_t>(plan.keys_listed));
  detail::append_json_number_field(json, "pages", plan.pages);
  detail::append_json_number_field(json, "list_chains", static_cast<std::int64_t>(plan.list_chains));
  detail::append_json_number_field(json, "duration_ms", plan.duration_ms);
  json.push_back('}');
  return json;
}

template <s3::RequestSender Sender>
boost::asio::awaitable<shard_plan> plan(s3::client<Sender>& s3, sign_pdfs_config config, plan_options options) {
  validate(config);
  if (config.plan == 0) throw aws::config_error("plan", "is required: the number of shards to plan");
  const auto started = std::chrono::steady_clock::now();
  shard_plan out;
  out.job_id = !config.job_id.empty() ? config.job_id : options.job_id ? options.job_id() : random_uuid();
  detail::validate_job_id(out.job_id, "job_id");
  config.job_id = out.job_id;

  s3::parallel_lister pages(
      s3, {.bucket = config.bucket, .prefix = config.prefix, .start_after = config.start_after, .max_keys = config.page_size},
      {.chains = config.list_concurrency, .end_before = config.end_before});
  detail::range_sampler sampler(detail::plan_sample_capacity(config.plan));
  const auto list_all = [&]() -> boost::asio::awaitable<void> {
    while (auto page = co_await pages.next()) {
      for (const auto& object : page->objects) sampler.add(object.key);
      detail::report_listed_page(options.progress, *page, pages.stats());
    }
  };
  std::exception_ptr failure;
  try {
    co_await detail::before_deadline(list_all(), started, config.deadline);
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    // The lister's chains use the client: they end before the plan does.
    co_await boost::asio::this_coro::reset_cancellation_state();
    co_await pages.stop();
    std::rethrow_exception(failure);
  }
  out.shards = detail::shard_configs(config, sampler.cuts(config.plan));
  out.keys_listed = sampler.count();
  const s3::parallel_list_stats listed = pages.stats();
  out.pages = static_cast<int>(listed.requests);
  out.list_chains = listed.chains_started;
  out.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  co_return out;
}

template <s3::RequestSender Sender>
boost::asio::awaitable<sign_pdfs_result> combine(s3::client<Sender>& s3, sign_pdfs_config config,
                                                 combine_options options) {
  validate(config);
  if (config.combine.empty()) throw aws::config_error("combine", "is required: the job whose shards to combine");
  const auto started = std::chrono::steady_clock::now();
  const auto find_shards = [&]() -> boost::asio::awaitable<std::vector<detail::shard_record>> {
    auto listed = co_await detail::list_shards(s3, config);
    co_await detail::read_shard_results(s3, config, listed, options.result_reads_at_once);
    co_return detail::complete_shards(std::move(listed), config);
  };
  const std::vector<detail::shard_record> shards =
      co_await detail::before_deadline(find_shards(), started, config.deadline);

  sign_pdfs_result result;
  for (const auto& shard : shards) {
    result.count += shard.result.count;
    result.errors += shard.result.errors;
    result.pages += shard.result.pages;
    result.keys_listed += shard.result.keys_listed;
    result.list_chains += shard.result.list_chains;
  }
  result.manifest_key = config.manifest_prefix + config.combine + ".jsonl";
  s3::multipart_upload_stream<Sender> manifest(s3, config.bucket, result.manifest_key,
                                               {.part_size = options.part_size,
                                                .max_parts_in_flight = options.parts_in_flight,
                                                .attributes = {.content_type = "application/x-ndjson"},
                                                .abort_timeout = options.abort_timeout});
  const s3::upload_summary uploaded = co_await detail::fill_and_complete(
      manifest, detail::append_shard_manifests(manifest, config, shards), started, config.deadline);
  result.manifest_bytes = uploaded.bytes;
  result.manifest_multipart = uploaded.multipart;
  result.manifest_url =
      s3.presigner().presign({.bucket = config.bucket, .key = result.manifest_key, .expires = config.expiry});
  result.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  co_return result;
}

}  // namespace s3co::pipelines

#if defined(S3CO_SEPARATE_COMPILATION)
// Separate compilation: plan() and combine() over the Beast transport are
// compiled once, by s3co/pipelines/src.hpp.
#include "s3co/http/client.hpp"
extern template boost::asio::awaitable<s3co::pipelines::shard_plan> s3co::pipelines::plan<s3co::http::client>(
    s3co::s3::client<s3co::http::client>&, s3co::pipelines::sign_pdfs_config, s3co::pipelines::plan_options);
extern template boost::asio::awaitable<s3co::pipelines::sign_pdfs_result>
s3co::pipelines::combine<s3co::http::client>(s3co::s3::client<s3co::http::client>&,
                                              s3co::pipelines::sign_pdfs_config, s3co::pipelines::combine_options);
#endif