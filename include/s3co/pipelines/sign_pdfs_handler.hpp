// sign_pdfs as a request handler: event JSON in, Lambda-style response out.
//
//   {"statusCode":200,"body":"{\"count\":…}"}   a completed run
//   {"statusCode":400,"body":"{\"error\":…,\"field\":…}"}   bad input, found before any S3 call
//   {"statusCode":500,"body":"{\"error\":…}"}   a failed run (nothing left behind in S3)
//
// The handler resolves everything from the event and the environment
// (sign_pdfs_config.hpp; endpoint from S3_ENDPOINT_URL, AWS_ENDPOINT_URL_S3,
// AWS_ENDPOINT_URL, else AWS; credentials from the environment, else the
// shared credentials file; region from AWS_REGION, AWS_DEFAULT_REGION, else
// us-east-1; TLS trust from AWS_CA_BUNDLE: s3/client_from_environment.hpp),
// runs on its own io_context, and writes one log line and one
// EMF line at the end. Error bodies carry messages that never hold secrets.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "s3co/http/client.hpp"
#include "s3co/pipelines/sign_pdfs.hpp"
#include "s3co/pipelines/sign_pdfs_config.hpp"
#include "s3co/s3/client_from_environment.hpp"
#include "s3co/sinks/json_escape.hpp"
#include "s3co/telemetry/structured_log.hpp"

namespace s3co::pipelines {

struct handler_response {
  int status_code = 200;
  std::string body{};  // JSON
};

// {"statusCode":…,"body":"<body as a JSON string>"}
std::string to_lambda_json(const handler_response& response);

struct handler_options {
  telemetry::structured_log* log = nullptr;  // nullptr: structured logs to stderr
  sign_pdfs_progress* progress = nullptr;
  int presign_threads = 0;  // > 0: presign on a pool of that many threads
  http::client_options http = http::client_options();
};

handler_response handle_sign_pdfs(std::string_view event_json, const config_overrides& overrides,
                                  const handler_options& options);

// The Lambda-style entry point, logging to stderr.
std::string handler(std::string_view event_json);

// ---------------------------------------------------------------------------

namespace detail {

inline std::string error_body(std::string_view message, std::string_view field = {}) {
  std::string body = "{\"error\":";
  sinks::append_json_string_lossy(body, message);
  if (!field.empty()) {
    body.append(",\"field\":");
    sinks::append_json_string_lossy(body, field);
  }
  body.push_back('}');
  return body;
}

}  // namespace detail

inline std::string to_lambda_json(const handler_response& response) {
  std::string json = "{\"statusCode\":" + std::to_string(response.status_code) + ",\"body\":";
  sinks::append_json_string_lossy(json, response.body);
  json.push_back('}');
  return json;
}

inline handler_response handle_sign_pdfs(std::string_view event_json, const config_overrides& overrides,
                                         const handler_options& options) {
  std::optional<telemetry::structured_log> stderr_log;
  telemetry::structured_log& log = options.log ? *options.log : stderr_log.emplace(stderr);
  const std::string request_id = random_uuid();

  // Everything a run needs, checked before any S3 call.
  sign_pdfs_config config;
  s3::client_settings settings;
  http::client_options http_options;
  try {
    config = load_sign_pdfs_config(event_json, overrides);
    settings = s3::settings_from_environment();
    http_options = s3::http_options_from_environment(options.http);
  } catch (const aws::config_error& error) {
    log.write(telemetry::log_level::error, "invalid_input", request_id,
              {{"field", error.field()}, {"error", std::string_view(error.what())}});
    return {400, detail::error_body(error.what(), error.field())};
  }
  log.write(telemetry::log_level::info, "start", request_id,
            {{"bucket", config.bucket},
             {"prefix", config.prefix},
             {"endpoint", settings.endpoint.scheme + "://" + settings.endpoint.authority()},
             {"region", settings.region},
             {"identity_source", settings.credentials_source},
             {"concurrency", config.concurrency},
             {"page_size", config.page_size}});

  try {
    boost::asio::io_context context(1);
    std::optional<boost::asio::thread_pool> presign_pool;
    sign_pdfs_options run_options;
    run_options.progress = options.progress;
    if (options.presign_threads > 0) {
      presign_pool.emplace(static_cast<std::size_t>(options.presign_threads));
      run_options.presign_executor = presign_pool->get_executor();
    }
    s3::client<http::client> s3(std::make_unique<http::client>(context.get_executor(), http_options), settings);

    std::optional<sign_pdfs_result> result;
    std::exception_ptr failure;
    boost::asio::co_spawn(context, run(s3, config, run_options),
                          [&](std::exception_ptr error, sign_pdfs_result value) {
                            failure = error;
                            if (!error) result = std::move(value);
                          });
    context.run();
    if (presign_pool) presign_pool->join();
    if (failure) std::rethrow_exception(failure);

    log_completion(*result, log, request_id);
    log.write_line(completion_metrics(*result).to_json());
    return {200, to_json(*result)};
  } catch (const std::exception& error) {
    log.write(telemetry::log_level::error, "failed", request_id, {{"error", std::string_view(error.what())}});
    return {500, detail::error_body(error.what())};
  }
}

inline std::string handler(std::string_view event_json) {
  return to_lambda_json(handle_sign_pdfs(event_json, {}, handler_options()));
}

}  // namespace s3co::pipelines
