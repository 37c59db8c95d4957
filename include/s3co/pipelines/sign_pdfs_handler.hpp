// sign_pdfs as a request handler: event JSON in, Lambda-style response out.
//
//   {"statusCode":200,"body":"{\"count\":…}"}   a completed run
//   {"statusCode":400,"body":"{\"error\":…,\"field\":…}"}   bad input, found before any S3 call
//                                                       (or by the run: an expiry too short for a
//                                                       server that never says its time)
//   {"statusCode":500,"body":"{\"error\":…}"}   a failed run (nothing left behind in S3)
//
// An event with "plan": N plans a job of N shards instead, and one with
// "combine": "<job_id>" combines a job's shard manifests
// (sign_pdfs_jobs.hpp): a plan's body is {"job_id":…,"shards":[<event>,…],…}
// (the array is a Map state's items) and its `planned` log line says how
// much it listed; a combine answers as a run does.
//
// A failed run whose manifest upload could not be aborted says so: its body
// also holds "upload_left_behind":{"bucket":…,"key":…,"upload_id":…}, and
// the `failed` log line has the same fields, so that someone can abort it.
//
// The handler resolves everything from the event and the environment
// (sign_pdfs_config.hpp; endpoint from S3_ENDPOINT_URL, AWS_ENDPOINT_URL_S3,
// AWS_ENDPOINT_URL, the profile's, else AWS; credentials from the provider
// chain, refreshed in the background while the run goes on, its provider
// logged as identity_source; region from AWS_REGION, AWS_DEFAULT_REGION,
// the profile, the instance metadata, else us-east-1; TLS trust from AWS_CA_BUNDLE:
// s3/client_from_environment.hpp),
// runs on its own io_context, and writes one log line and one
// EMF line at the end. Error bodies carry messages that never hold secrets.
// Each HTTP attempt is bounded by the config's request_timeout (it replaces
// options.http.request_timeout), the run by its deadline.
//
// Signals: the signals in options.cancel_signals (SIGINT, SIGTERM, SIGHUP
// for a command line) are caught while the run goes on. The first cancels
// the run as any failure does: the manifest upload is aborted (within the
// abort timeout), a manifest whose final answer was lost is deleted, the
// `failed` log line says "cancelled by SIGINT" and has a `signal` field, and
// the response has status 500 and `cancelled_by`. options.on_signal hears
// every such signal with its count (1, 2, …): a program ends itself on the
// second, and may bound the clean-up after the first. Outside a run the
// signals keep their own dispositions.
#pragma once

#include <csignal>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>

#include "s3co/http/client.hpp"
#include "s3co/pipelines/sign_pdfs.hpp"
#include "s3co/pipelines/sign_pdfs_config.hpp"
#include "s3co/pipelines/sign_pdfs_jobs.hpp"
#include "s3co/s3/client_from_environment.hpp"
#include "s3co/sinks/json_escape.hpp"
#include "s3co/telemetry/structured_log.hpp"

namespace s3co::pipelines {

struct handler_response {
  int status_code = 200;
  std::string body{};    // JSON
  int cancelled_by = 0;  // the signal that cancelled the run; 0: none
  std::vector<std::string> shard_events{};  // a plan's shard events, one JSON each
};

// {"statusCode":…,"body":"<body as a JSON string>"}
std::string to_lambda_json(const handler_response& response);

struct handler_options {
  telemetry::structured_log* log = nullptr;  // nullptr: structured logs to stderr
  sign_pdfs_progress* progress = nullptr;
  int presign_threads = 0;  // > 0: presign on a pool of that many threads
  http::client_options http = http::client_options();
  std::vector<int> cancel_signals = std::vector<int>();  // signals that cancel the run (see above)
  std::function<void(int signal, int count)> on_signal = nullptr;
};

handler_response handle_sign_pdfs(std::string_view event_json, const config_overrides& overrides,
                                  const handler_options& options);

// The Lambda-style entry point, logging to stderr.
std::string handler(std::string_view event_json);

// ---------------------------------------------------------------------------

namespace detail {

inline std::string error_body(std::string_view message, std::string_view field = {},
                              const s3::upload_left_behind* left = nullptr) {
  std::string body = "{\"error\":";
  sinks::append_json_string_lossy(body, message);
  if (!field.empty()) {
    body.append(",\"field\":");
    sinks::append_json_string_lossy(body, field);
  }
  if (left) {
    body.append(",\"upload_left_behind\":{\"bucket\":");
    sinks::append_json_string_lossy(body, left->bucket());
    body.append(",\"key\":");
    sinks::append_json_string_lossy(body, left->key());
    body.append(",\"upload_id\":");
    sinks::append_json_string_lossy(body, left->upload_id());
    body.push_back('}');
  }
  body.push_back('}');
  return body;
}

// "SIGINT" for SIGINT; "signal N" for one without a name here.
inline std::string signal_name(int signal) {
  switch (signal) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    case SIGQUIT: return "SIGQUIT";
    default: return "signal " + std::to_string(signal);
  }
}

inline bool is_cancellation(std::exception_ptr failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const boost::system::system_error& error) {
    return error.code() == boost::asio::error::operation_aborted;
  } catch (...) {
    return false;
  }
}

// Waits for the cancelling signals: the first cancels the run, each is
// reported to `on_signal`. Ends with operation_aborted when the set is
// cancelled (the run is over).
inline boost::asio::awaitable<void> watch_signals(boost::asio::signal_set& signals,
                                                  boost::asio::cancellation_signal& cancel_run, int& cancelled_by,
                                                  std::function<void(int, int)> on_signal) {
  for (int count = 1;; ++count) {
    const int signal = co_await signals.async_wait(boost::asio::use_awaitable);
    if (count == 1) {
      cancelled_by = signal;
      cancel_run.emit(boost::asio::cancellation_type::terminal);
    }
    if (on_signal) on_signal(signal, count);
  }
}

// The response and the `failed` log line for a run that ended with
// `failure`; `cancelled_by` is the signal that cancelled it, or 0.
inline handler_response report_failure(std::exception_ptr failure, int cancelled_by, telemetry::structured_log& log,
                                       std::string_view request_id) {
  std::string message;
  std::string field;  // an input found wanting only by the run, e.g. an expiry too short for the server
  std::optional<s3::upload_left_behind> left;
  try {
    std::rethrow_exception(failure);
  } catch (const s3::upload_left_behind& error) {
    message = error.what();
    left = error;
  } catch (const aws::config_error& error) {
    message = error.what();
    field = error.field();
  } catch (const std::exception& error) {
    message = error.what();
  } catch (...) {
    message = "unknown failure";
  }
  if (cancelled_by != 0) {
    // operation_aborted's own text ("Operation canceled") says less than this.
    message = "cancelled by " + signal_name(cancelled_by) + (is_cancellation(failure) ? "" : ": " + message);
  }
  std::vector<telemetry::log_field> fields = {{"error", std::string_view(message)}};
  const std::string signal = cancelled_by != 0 ? signal_name(cancelled_by) : std::string();
  if (cancelled_by != 0) fields.push_back({"signal", signal});
  if (!field.empty()) fields.push_back({"field", field});
  if (left) {
    fields.push_back({"upload_bucket", left->bucket()});
    fields.push_back({"upload_key", left->key()});
    fields.push_back({"upload_id", left->upload_id()});
  }
  log.write(telemetry::log_level::error, "failed", request_id, fields);
  const int status = !field.empty() && cancelled_by == 0 ? 400 : 500;
  return {status, error_body(message, field, left ? &*left : nullptr), cancelled_by};
}

// Runs `op` on `context` until it ends, cancelled by the first of
// options.cancel_signals; its value, or nullopt with `failure` set.
template <typename T>
std::optional<T> run_cancellable(boost::asio::io_context& context, boost::asio::awaitable<T> op,
                                 const handler_options& options, std::exception_ptr& failure, int& cancelled_by) {
  std::optional<T> value;
  boost::asio::signal_set signals(context);
  for (const int signal : options.cancel_signals) signals.add(signal);
  boost::asio::cancellation_signal cancel_op;
  if (!options.cancel_signals.empty()) {
    boost::asio::co_spawn(context, watch_signals(signals, cancel_op, cancelled_by, options.on_signal),
                          [](std::exception_ptr) {});
  }
  boost::asio::co_spawn(context, std::move(op),
                        boost::asio::bind_cancellation_slot(cancel_op.slot(), [&](std::exception_ptr error, T done) {
                          failure = error;
                          if (!error) value = std::move(done);
                          signals.cancel();  // the operation is over: so is the watch
                        }));
  context.run();
  return value;
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
    http_options.request_timeout = config.request_timeout;
  } catch (const aws::config_error& error) {
    log.write(telemetry::log_level::error, "invalid_input", request_id,
              {{"field", error.field()}, {"error", std::string_view(error.what())}});
    return {400, detail::error_body(error.what(), error.field())};
  } catch (const s3co::error&) {
    // A credentials provider that is configured but did not answer.
    return detail::report_failure(std::current_exception(), 0, log, request_id);
  }
  const std::string_view operation = config.plan != 0 ? "plan" : !config.combine.empty() ? "combine" : "run";
  log.write(telemetry::log_level::info, "start", request_id,
            {{"operation", operation},
             {"bucket", config.bucket},
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
    if (options.presign_threads > 0 && operation == "run") {
      presign_pool.emplace(static_cast<std::size_t>(options.presign_threads));
      run_options.presign_executor = presign_pool->get_executor();
    }
    s3::client<http::client> s3(std::make_unique<http::client>(context.get_executor(), http_options), settings);

    std::exception_ptr failure;
    int cancelled_by = 0;
    if (config.plan != 0) {
      plan_options plan_settings;
      plan_settings.progress = options.progress;
      auto planned = detail::run_cancellable(context, plan(s3, config, plan_settings), options, failure, cancelled_by);
      if (failure) return detail::report_failure(failure, cancelled_by, log, request_id);
      log.write(telemetry::log_level::info, "planned", request_id,
                {{"job_id", planned->job_id},
                 {"shards", static_cast<std::int64_t>(planned->shards.size())},
                 {"keys_listed", planned->keys_listed},
                 {"pages", planned->pages},
                 {"list_chains", planned->list_chains},
                 {"duration_ms", planned->duration_ms}});
      handler_response response{200, to_json(*planned)};
      for (const auto& shard : planned->shards) response.shard_events.push_back(to_event_json(shard));
      return response;
    }
    auto result = detail::run_cancellable(
        context, config.combine.empty() ? run(s3, config, run_options) : combine(s3, config), options, failure,
        cancelled_by);
    if (presign_pool) presign_pool->join();
    if (failure) return detail::report_failure(failure, cancelled_by, log, request_id);

    log_completion(*result, log, request_id);
    log.write_line(completion_metrics(*result).to_json());
    return {200, to_json(*result)};
  } catch (...) {
    return detail::report_failure(std::current_exception(), 0, log, request_id);
  }
}


inline std::string handler(std::string_view event_json) {
  return to_lambda_json(handle_sign_pdfs(event_json, {}, handler_options()));
}

}  // namespace s3co::pipelines
