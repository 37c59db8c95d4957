// Sharded jobs on radosgw: a plan's shards, run as separate processes at
// once and combined, give the single run's manifest byte for byte (the
// programs run on a wall clock fixed by tests/tools/clock_shift, behind a
// proxy that hides the server's Date so that no run corrects it); combine
// copies shard manifests of 5 MiB or more server-side and reads smaller
// ones in; and a job with a shard missing is refused, naming it, with
// nothing written.
#include "s3co/http/client.hpp"
#include "s3co/pipelines/sign_pdfs_jobs.hpp"
#include "s3co/s3/client.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <simdjson.h>

#include "support/background_process.hpp"
#include "support/fault_proxy.hpp"
#include "support/json_fields.hpp"
#include "support/run_async.hpp"
#include "support/run_command.hpp"
#include "support/s3_server_env.hpp"
#include "support/sign_pdfs_program.hpp"
#include "support/temp_file.hpp"
#include "support/test_bucket.hpp"

using namespace s3co;
using boost::asio::awaitable;
using s3co::testing::proxy_request_kind;
using s3co::testing::run_async;
using s3co::testing::shell_quote;

namespace {

using job_bucket = s3co::testing::test_bucket;

std::int64_t unix_seconds_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A wall clock standing at `at` (ASan's link-order check waived, as in the clock tests).
std::string with_clock_fixed(std::int64_t at) {
  return "LD_PRELOAD=" + shell_quote(S3CO_CLOCK_SHIFT_LIBRARY) + " S3CO_CLOCK_FIXED_AT=" + std::to_string(at) +
         " ASAN_OPTIONS=\"${ASAN_OPTIONS:-}:verify_asan_link_order=0\"";
}

std::string checked_output(const s3co::testing::process_result& run) {
  INFO("exit " << run.exit_status << "\nstdout:\n" << run.out.substr(0, 4000) << "\nstderr:\n" << run.err.substr(0, 4000));
  REQUIRE(run.exit_status == 0);
  return run.out;
}

}  // namespace

TEST_CASE("8 shards of 50,000 keys, run as 8 processes at once and combined, are the single run byte for byte",
          "[pipeline][cli][jobs]") {
  job_bucket f("sign-pdfs-jobs");
  // Long keys: each shard's manifest passes S3's 5 MiB part minimum, so
  // combine copies every one server-side.
  std::vector<std::string> keys;
  for (int i = 0; i < 50'000; ++i) {
    std::string key = "scans/" + std::to_string(2000 + i % 27) + "/" + std::to_string(i) + "-";
    key.append(400 - key.size(), 'p');
    keys.push_back(key + (i % 10 == 0 ? ".txt" : ".pdf"));
  }
  f.seed(keys, "%PDF-1.4");

  s3co::testing::fault_proxy proxy(f.env.endpoint.host, f.env.endpoint.port.value_or(80));
  proxy.set_faults([](const s3co::testing::proxied_request&) { return s3co::testing::proxy_fault::strip_date; });
  const std::string environment =
      "S3_ENDPOINT_URL=" + shell_quote(proxy.endpoint_url()) + " " + with_clock_fixed(unix_seconds_now());
  const std::string job = "--bucket " + f.bucket + " --prefix scans/ --list-concurrency 8";

  simdjson::dom::parser parser;
  const auto single = s3co::testing::parse_object(
      parser, checked_output(s3co::testing::run_sign_pdfs(job + " --job-id single", environment)));
  const std::uint64_t pdfs = s3co::testing::number_field(single, "count");
  CHECK(pdfs == 45'000);

  const auto plan_lines = s3co::testing::lines_of(
      checked_output(s3co::testing::run_sign_pdfs("plan --shards 8 " + job + " --job-id J", environment)));
  REQUIRE(plan_lines.size() == 8);
  // --array prints the same events as one array.
  const std::string array = checked_output(s3co::testing::run_sign_pdfs("plan --array --shards 8 " + job + " --job-id J", environment));
  std::string joined = "[";
  for (const auto& line : plan_lines) joined += (joined.size() > 1 ? "," : "") + line;
  CHECK(array == joined + "]\n");

  std::vector<std::unique_ptr<s3co::testing::temp_file>> events;
  std::vector<std::unique_ptr<s3co::testing::background_process>> shards;
  for (const auto& line : plan_lines) {
    events.push_back(std::make_unique<s3co::testing::temp_file>(line));
    shards.push_back(s3co::testing::start_sign_pdfs("--event " + shell_quote(events.back()->path()), environment));
  }
  std::uint64_t shard_counts = 0;
  for (std::size_t i = 0; i < shards.size(); ++i) {
    auto done = shards[i]->wait_for(std::chrono::minutes(5));
    REQUIRE(done.has_value());
    simdjson::dom::parser shard_parser;
    const auto result = s3co::testing::parse_object(shard_parser, checked_output(*done));
    CHECK(s3co::testing::string_field(result, "manifest_key") == "manifests/J/shard-" + std::to_string(i) + ".jsonl");
    const auto count = s3co::testing::number_field(result, "count");
    CHECK(count > 45'000 / 8 * 7 / 8);  // balanced within 1/8 of a shard
    CHECK(count < 45'000 / 8 * 9 / 8 + 1);
    shard_counts += count;
  }
  CHECK(shard_counts == pdfs);

  // A proxy of its own for combine, to count what it sends.
  s3co::testing::fault_proxy combine_proxy(f.env.endpoint.host, f.env.endpoint.port.value_or(80));
  combine_proxy.set_faults([](const s3co::testing::proxied_request&) { return s3co::testing::proxy_fault::strip_date; });
  const auto combined = s3co::testing::run_sign_pdfs(
      "combine --job-id J --bucket " + f.bucket,
      "S3_ENDPOINT_URL=" + shell_quote(combine_proxy.endpoint_url()) + " " + with_clock_fixed(unix_seconds_now()));
  const auto result = s3co::testing::parse_object(parser, checked_output(combined));
  CHECK(s3co::testing::number_field(result, "count") == pdfs);
  CHECK(s3co::testing::string_field(result, "manifest_key") == "manifests/J.jsonl");
  CHECK(combined.err.find("\"manifest_multipart\":true") != std::string::npos);
  // Every shard manifest was copied as a part: the only GETs read the 8 results.
  CHECK(combine_proxy.count(proxy_request_kind::upload_part) == 8);
  CHECK(combine_proxy.count(proxy_request_kind::other) == 8);

  const std::string whole = f.object("manifests/single.jsonl");
  const std::string combined_manifest = f.object("manifests/J.jsonl");
  CHECK(whole.size() > 8u * 5 * 1024 * 1024);
  CHECK(combined_manifest.size() == whole.size());
  CHECK(combined_manifest == whole);
  CHECK(f.no_multipart_uploads());
}

TEST_CASE("combine reads small shard manifests in, refuses a job with a shard missing, and leaves nothing then",
          "[pipeline][jobs]") {
  job_bucket f("sign-pdfs-combine");
  std::vector<std::string> keys;
  for (int i = 0; i < 700; ++i) keys.push_back("small/" + std::to_string(i % 9) + "/" + std::to_string(i) + ".pdf");
  f.seed(keys, "%PDF-1.4");

  pipelines::sign_pdfs_config job;
  job.bucket = f.bucket;
  job.prefix = "small/";
  job.page_size = 50;
  job.job_id = "S";
  job.plan = 3;
  const auto planned = run_async(f.context, pipelines::plan(f.s3, job));
  REQUIRE(planned.shards.size() == 3);
  CHECK(planned.keys_listed == 700);
  CHECK(planned.pages >= 14);

  pipelines::sign_pdfs_config combine;
  combine.bucket = f.bucket;
  combine.combine = "S";
  // Nothing run yet: the job as a whole is named.
  try {
    run_async(f.context, pipelines::combine(f.s3, combine));
    FAIL("combined a job with no shard done");
  } catch (const pipelines::incomplete_job& error) {
    CHECK(error.shard() == -1);
  }

  std::vector<std::string> shard_lines;
  for (const int shard : {0, 2}) {
    const auto result = run_async(f.context, pipelines::run(f.s3, planned.shards[static_cast<std::size_t>(shard)]));
    // The shard's result is stored beside its manifest.
    simdjson::dom::parser parser;
    const auto stored = s3co::testing::parse_object(parser, f.object("manifests/S/shard-" + std::to_string(shard) + ".json"));
    CHECK(s3co::testing::number_field(stored, "count") == result.count);
    CHECK(s3co::testing::number_field(stored, "shards") == 3);
    CHECK(s3co::testing::number_field(stored, "manifest_bytes") == result.manifest_bytes);
  }
  try {
    run_async(f.context, pipelines::combine(f.s3, combine));
    FAIL("combined a job with shard 1 missing");
  } catch (const pipelines::incomplete_job& error) {
    CHECK(error.shard() == 1);
    CHECK_THAT(error.what(), Catch::Contains("manifests/S/shard-1.json"));
  }
  CHECK(f.keys_under("manifests/S.jsonl").empty());
  CHECK(f.no_multipart_uploads());

  const auto last = run_async(f.context, pipelines::run(f.s3, planned.shards[1]));
  CHECK(last.count > 0);
  const auto result = run_async(f.context, pipelines::combine(f.s3, combine));
  CHECK(result.count == 700);
  CHECK(result.errors == 0);
  CHECK(result.manifest_key == "manifests/S.jsonl");
  CHECK_FALSE(result.manifest_multipart);  // under one part: one PutObject
  const std::string manifest = f.object("manifests/S.jsonl");
  CHECK(manifest == f.object("manifests/S/shard-0.jsonl") + f.object("manifests/S/shard-1.jsonl") +
                        f.object("manifests/S/shard-2.jsonl"));
  CHECK(result.manifest_bytes == manifest.size());
  CHECK(s3co::testing::lines_of(manifest).size() == 700);
  CHECK(f.no_multipart_uploads());
}
