// What the fault tests share: a bucket seeded through a direct client, a
// pipeline run that records its outcome instead of failing the test, and
// the checks every outcome must pass (a complete manifest, or a typed error
// and nothing left behind).
#pragma once

#include "s3co/http/client.hpp"
#include "s3co/pipelines/sign_pdfs.hpp"
#include "s3co/s3/list_objects.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <simdjson.h>

#include "support/concurrently.hpp"
#include "support/presigned_get.hpp"
#include "support/run_async.hpp"
#include "support/run_command.hpp"
#include "support/s3_server_env.hpp"

namespace s3co::testing::faults {

// The keys of a JSONL manifest, in order; fails the test on a bad line.
inline std::vector<std::string> manifest_keys(const std::string& body) {
  std::vector<std::string> keys;
  simdjson::dom::parser parser;
  for (const auto& text : lines_of(body)) {
    simdjson::dom::element line;
    REQUIRE(parser.parse(text).get(line) == simdjson::SUCCESS);
    std::string_view key, url;
    REQUIRE(line["key"].get(key) == simdjson::SUCCESS);
    REQUIRE(line["url"].get(url) == simdjson::SUCCESS);
    REQUIRE(url.find("X-Amz-Signature=") != std::string_view::npos);
    keys.emplace_back(key);
  }
  return keys;
}

struct run_outcome {
  std::optional<pipelines::sign_pdfs_result> result;
  std::exception_ptr error;
  std::string error_text;  // "<type>: <what>"
  std::chrono::milliseconds elapsed{0};

  bool completed() const { return result.has_value(); }
};

// The error's type and message; "untyped" for what the pipeline should never throw.
inline std::string describe_error(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const s3::s3_error& e) {
    return std::string("s3_error: ") + e.what();
  } catch (const s3::malformed_response& e) {
    return std::string("malformed_response: ") + e.what();
  } catch (const http::transport_error& e) {
    return std::string("transport_error: ") + e.what();
  } catch (const boost::system::system_error& e) {
    return std::string(e.code() == boost::asio::error::operation_aborted ? "cancelled: " : "untyped system_error: ") +
           e.what();
  } catch (const std::exception& e) {
    return std::string("untyped: ") + e.what();
  } catch (...) {
    return "untyped: not a std::exception";
  }
}

inline bool is_typed(const std::string& error_text) { return !error_text.starts_with("untyped"); }

// A bucket of its own, the direct (fault-free) client to seed and inspect it.
struct bucket_under_test {
  s3_server_env env = load_s3_server_env();
  boost::asio::io_context context;
  http::client direct_transport{context.get_executor()};
  s3::client<http::client> direct{direct_transport, env.credentials, env.region, env.endpoint};
  std::string bucket;
  std::vector<std::string> expected_pdfs;  // in listing order

  explicit bucket_under_test(const std::string& stem) : bucket(unique_bucket(stem)) {
    run_async(context, direct.create_bucket(bucket));
  }

  void seed(std::vector<std::string> keys) {
    run_async(context, concurrently(keys.size(), 32, [&](std::size_t i) -> boost::asio::awaitable<void> {
      co_await direct.put_object({.bucket = bucket, .key = keys[i]}, "%PDF-1.4 " + std::to_string(i));
    }));
    std::sort(keys.begin(), keys.end());
    expected_pdfs.clear();
    for (auto& key : keys) {
      if (pipelines::has_suffix_ignoring_case(key, ".pdf")) expected_pdfs.push_back(std::move(key));
    }
  }

  std::vector<std::string> list_keys(const std::string& prefix) {
    return run_async(context, [&]() -> boost::asio::awaitable<std::vector<std::string>> {
      s3::list_request request;
      request.bucket = bucket;
      request.prefix = prefix;
      s3::list_paginator pages(direct, request);
      std::vector<std::string> keys;
      while (auto page = co_await pages.next()) {
        for (auto& object : page->objects) keys.push_back(std::move(object.key));
      }
      co_return keys;
    }());
  }

  std::size_t open_uploads() { return run_async(context, direct.list_multipart_uploads({.bucket = bucket})).size(); }

  // Lets background work (a destroyed upload stream's abort) finish.
  void drain() {
    context.restart();
    context.run_for(std::chrono::seconds(2));
  }

  // Runs the pipeline through `s3`; the outcome, whatever it is.
  template <typename Sender>
  run_outcome run(s3::client<Sender>& s3, pipelines::sign_pdfs_config config, pipelines::sign_pdfs_options options,
                  std::chrono::seconds deadline = std::chrono::seconds(120)) {
    config.bucket = bucket;
    run_outcome outcome;
    const auto started = std::chrono::steady_clock::now();
    try {
      outcome.result = run_async(context, pipelines::run(s3, config, options), deadline);
    } catch (const Catch::TestFailureException&) {
      throw;  // the deadline passed: a hang
    } catch (...) {
      outcome.error = std::current_exception();
      outcome.error_text = describe_error(outcome.error);
    }
    outcome.elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    drain();
    return outcome;
  }

  // The contract of a run: a complete manifest with exactly the PDFs in
  // listing order, or a typed error and no manifest, no multipart upload.
  // A complete manifest is checked through `fetch` (its presigned URL),
  // then deleted so the next run starts clean.
  //
  // `leftovers`, when given, tolerates (and counts) a manifest left by a
  // failed run, provided it is complete: the one race the client cannot
  // close is a cancellation that abandons the final PutObject after radosgw
  // received it, which radosgw may then store after the run's DELETE.
  template <typename Fetch>
  void check_outcome(const run_outcome& outcome, Fetch fetch, const std::string& manifest_prefix = "manifests/",
                     int* leftovers = nullptr) {
    INFO("outcome: " << (outcome.completed() ? "completed" : outcome.error_text));
    if (outcome.completed()) {
      const auto& result = *outcome.result;
      CHECK(result.count == expected_pdfs.size());
      CHECK(result.errors == 0);
      CHECK(result.manifest_key.starts_with(manifest_prefix));
      const std::string body = fetch(result.manifest_url);
      const std::vector<std::string> keys = manifest_keys(body);
      CHECK(keys.size() == expected_pdfs.size());
      CHECK(keys == expected_pdfs);
      CHECK(result.manifest_bytes == body.size());
      const std::vector<std::string> manifests = list_keys(manifest_prefix);
      CHECK(manifests == std::vector<std::string>{result.manifest_key});
      run_async(context, direct.delete_object({.bucket = bucket, .key = result.manifest_key}));
    } else {
      CHECK(is_typed(outcome.error_text));
    }
    const std::vector<std::string> left = list_keys(manifest_prefix);
    INFO("left under " << manifest_prefix << ": " << (left.empty() ? std::string("nothing") : left.front()));
    if (leftovers && !outcome.completed() && left.size() == 1) {
      ++*leftovers;
      CHECK(manifest_keys(run_async(context, direct.get_object({.bucket = bucket, .key = left.front()}))) == expected_pdfs);
    } else {
      CHECK(left.empty());
    }
    CHECK(open_uploads() == 0);
    // Clean up after a failed check, so that later runs are judged on their own.
    for (const auto& key : left) run_async(context, direct.delete_object({.bucket = bucket, .key = key}));
    for (const auto& upload : run_async(context, direct.list_multipart_uploads({.bucket = bucket}))) {
      run_async(context, direct.abort_multipart_upload(bucket, upload.key, upload.upload_id));
    }
  }

  // Fetches a URL with the direct transport (to radosgw or to a proxy).
  std::string fetch_url(const std::string& url) {
    http::response response = run_async(context, direct_transport.send(request_for_url(url)));
    INFO("GET " << url.substr(0, url.find('?')) << " -> " << response.status);
    REQUIRE(response.status == 200);
    return response.body;
  }
};

}  // namespace s3co::testing::faults
