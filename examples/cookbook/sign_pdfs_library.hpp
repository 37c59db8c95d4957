// Cookbook: the sign_pdfs pipeline as a library call, with its log and EMF
// lines. Shown in README.md between the markers; tests/integration/cookbook
// runs it against radosgw.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

// [cookbook]
#include <s3co/pipelines/sign_pdfs.hpp>

boost::asio::awaitable<std::string> sign_april(s3co::s3::client<>& s3, std::string_view bucket,
                                               s3co::telemetry::structured_log& log) {
  const s3co::pipelines::sign_pdfs_config config{  // a named variable: see "Compilers" on g++ 12
      .bucket = std::string(bucket), .prefix = "2026/04/", .expiry = std::chrono::minutes(15)};
  const auto result = co_await s3co::pipelines::run(s3, config);
  s3co::pipelines::log_completion(result, log, "request-1");              // {"event":"complete",…}
  log.write_line(s3co::pipelines::completion_metrics(result).to_json());  // the EMF line
  co_return result.manifest_url;                                          // presigned, 15 minutes
}
// [/cookbook]
