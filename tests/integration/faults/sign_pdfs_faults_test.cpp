// The fault matrix: sign_pdfs against radosgw through a fault-injecting
// proxy (tests/support/fault_proxy.hpp). For each fault, the run either
// completes with a manifest holding exactly the listed PDFs in order, or
// fails with a typed error and leaves no manifest and no multipart upload;
// the proxy's counters say how many attempts each request took.
//
// Each test case seeds its own bucket with 3,000 keys of ~900 bytes (2,700
// PDFs): the manifest is ~6 MB, so it goes up as one PutObject with 8 MiB
// parts and as a 2-part multipart upload with 5 MiB parts (the default).
#include "faults_support.hpp"

#include <csignal>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "support/fault_proxy.hpp"
#include "support/json_fields.hpp"
#include "support/sign_pdfs_program.hpp"

using namespace s3co;
using s3co::testing::fault_proxy;
using s3co::testing::proxy_fault;
using s3co::testing::proxy_request_kind;
using s3co::testing::run_async;
using s3co::testing::faults::run_outcome;

namespace {

constexpr std::size_t seeded_keys = 3000;
constexpr std::size_t five_mib = 5 * 1024 * 1024;

std::vector<std::string> matrix_keys() {
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < seeded_keys; ++i) {
    std::string key = "docs/" + std::to_string(100000 + i) + "-";
    key.append(880, 'p');
    key += i % 10 == 9 ? ".txt" : i % 25 == 4 ? ".PDF" : ".pdf";
    keys.push_back(std::move(key));
  }
  return keys;
}

struct matrix : s3co::testing::faults::bucket_under_test {
  fault_proxy proxy{env.endpoint.host, env.endpoint.port.value_or(80)};

  explicit matrix(const std::string& stem) : bucket_under_test(stem) {
    seed(matrix_keys());
    REQUIRE(expected_pdfs.size() == 2700);
  }

  static http::client_options options() {
    http::client_options options;
    options.connect_timeout = std::chrono::seconds(5);
    options.request_timeout = std::chrono::seconds(20);
    options.retry.base_delay = std::chrono::milliseconds(5);
    return options;
  }

  static pipelines::sign_pdfs_options single_put_manifest() {
    pipelines::sign_pdfs_options options;
    options.manifest_part_size = 8 * 1024 * 1024;
    return options;
  }

  static pipelines::sign_pdfs_options multipart_manifest() {
    pipelines::sign_pdfs_options options;
    options.manifest_part_size = five_mib;
    return options;
  }

  // One run through the proxy, with counters zeroed first.
  run_outcome run_through_proxy(const http::client_options& client_options, pipelines::sign_pdfs_options options) {
    proxy.reset_counts();
    http::client transport(context.get_executor(), client_options);
    s3::client<http::client> s3(transport, env.credentials, env.region,
                                aws::parse_endpoint_url(proxy.endpoint_url()));
    pipelines::sign_pdfs_config config;
    config.prefix = "docs/";
    config.concurrency = 4;
    // One chain: the matrix names requests by their place in one fixed order
    // (the parallel lister's failures are its unit tests' business).
    config.list_concurrency = 1;
    return run(s3, config, std::move(options));
  }

  run_outcome run_through_proxy(pipelines::sign_pdfs_options options) {
    return run_through_proxy(matrix::options(), std::move(options));
  }

  run_outcome run_through_proxy() { return run_through_proxy(single_put_manifest()); }

  // The contract, the manifest fetched through its presigned URL via the
  // proxy with the faults off.
  void check(const run_outcome& outcome) {
    proxy.clear_faults();
    check_outcome(outcome, [&](const std::string& url) { return fetch_url(url); });
  }

  // Requests of `kind` that the proxy let through unharmed.
  std::size_t clean(proxy_request_kind kind) const {
    std::size_t count = 0;
    for (const auto& entry : proxy.log()) count += entry.request.kind == kind && entry.fault == proxy_fault::none;
    return count;
  }

  std::string describe_log() const {
    std::string text;
    for (const auto& entry : proxy.log()) {
      text.append(std::to_string(entry.request.number)).append(" ");
      text.append(s3co::testing::to_string(entry.request.kind));
      text.append(entry.fault == proxy_fault::none ? "" : " (fault)").append("\n");
    }
    return text;
  }
};

// The run's error as `Error`, or nullopt when it is something else.
template <typename Error>
std::optional<Error> error_as(const run_outcome& outcome) {
  if (!outcome.error) return std::nullopt;
  try {
    std::rethrow_exception(outcome.error);
  } catch (const Error& error) {
    return error;
  } catch (...) {
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("faults: no fault, through the proxy: one request per page and one PutObject", "[faults]") {
  matrix m("faults-none");
  const run_outcome outcome = m.run_through_proxy();
  INFO(m.describe_log());
  REQUIRE(outcome.completed());
  CHECK(outcome.result->pages == 3);
  CHECK_FALSE(outcome.result->manifest_multipart);
  CHECK(m.proxy.count(proxy_request_kind::list_objects) == 3);
  CHECK(m.proxy.count(proxy_request_kind::put_object) == 1);
  CHECK(m.proxy.total() == 4);
  m.check(outcome);
}

TEST_CASE("faults: 503 SlowDown on the first two requests: the first list request is sent three times",
          "[faults]") {
  matrix m("faults-slowdown");
  m.proxy.set_faults(s3co::testing::fault_first_requests(2, proxy_fault::slow_down));
  const run_outcome outcome = m.run_through_proxy();
  INFO(m.describe_log());
  REQUIRE(outcome.completed());
  const auto log = m.proxy.log();
  REQUIRE(log.size() >= 3);
  for (int i = 0; i < 3; ++i) {
    CHECK(log[i].request.kind == proxy_request_kind::list_objects);
    CHECK(log[i].request.target == log[0].request.target);  // the same first page
  }
  CHECK(log[0].request.target.find("continuation-token") == std::string::npos);
  CHECK(m.proxy.faults_injected() == 2);
  CHECK(m.proxy.count(proxy_request_kind::list_objects) == 3 + 2);
  CHECK(m.proxy.count(proxy_request_kind::put_object) == 1);
  m.check(outcome);
}

TEST_CASE("faults: 503 SlowDown on every list request fails with a typed s3_error after three attempts",
          "[faults]") {
  matrix m("faults-slowdown-all");
  m.proxy.set_faults(s3co::testing::fault_always(proxy_request_kind::list_objects, proxy_fault::slow_down));
  const run_outcome outcome = m.run_through_proxy();
  INFO(m.describe_log());
  REQUIRE_FALSE(outcome.completed());
  const auto error = error_as<s3::s3_error>(outcome);
  REQUIRE(error.has_value());
  CHECK(error->code() == "SlowDown");
  CHECK(error->status() == 503);
  CHECK(m.proxy.count(proxy_request_kind::list_objects) == 3);
  CHECK(m.proxy.count(proxy_request_kind::put_object) == 0);
  CHECK(m.proxy.count(proxy_request_kind::create_multipart) == 0);
  m.check(outcome);
}

TEST_CASE("faults: 500 InternalError on every 3rd request: a multipart manifest completes, retries counted",
          "[faults]") {
  matrix m("faults-every-3rd");
  m.proxy.set_faults(s3co::testing::fault_every(3, proxy_fault::internal_error));
  // Five attempts: with parts and pages in flight together, one request's
  // retries could land on three multiples of 3 in a row.
  http::client_options options = matrix::options();
  options.retry.max_attempts = 5;
  const run_outcome outcome = m.run_through_proxy(options, matrix::multipart_manifest());
  INFO(m.describe_log());
  REQUIRE(outcome.completed());
  CHECK(outcome.result->manifest_multipart);
  CHECK(outcome.result->pages == 3);
  // Every third request failed, and each was retried until it went through.
  CHECK(m.proxy.faults_injected() == m.proxy.total() / 3);
  CHECK(m.proxy.faults_injected() >= 2);
  CHECK(m.clean(proxy_request_kind::list_objects) == 3);
  CHECK(m.clean(proxy_request_kind::create_multipart) == 1);
  CHECK(m.clean(proxy_request_kind::upload_part) == 2);
  CHECK(m.clean(proxy_request_kind::complete_multipart) == 1);
  CHECK(m.proxy.count(proxy_request_kind::abort_multipart) == 0);
  CHECK(m.proxy.count(proxy_request_kind::put_object) == 0);
  CHECK(m.proxy.total() == 7 + m.proxy.faults_injected());
  m.check(outcome);
}

TEST_CASE("faults: a reset in the middle of the first list response body is retried", "[faults]") {
  matrix m("faults-reset-list");
  m.proxy.set_faults(s3co::testing::fault_nth(proxy_request_kind::list_objects, 1, proxy_fault::reset_mid_body));
  const run_outcome outcome = m.run_through_proxy();
  INFO(m.describe_log());
  REQUIRE(outcome.completed());
  CHECK(outcome.result->pages == 3);
  CHECK(m.proxy.count(proxy_request_kind::list_objects) == 4);
  m.check(outcome);
}

TEST_CASE("faults: a reset in every list response body fails with a transport_error after three attempts",
          "[faults]") {
  matrix m("faults-reset-list-all");
  m.proxy.set_faults(s3co::testing::fault_always(proxy_request_kind::list_objects, proxy_fault::reset_mid_body));
  const run_outcome outcome = m.run_through_proxy();
  INFO(m.describe_log());
  REQUIRE_FALSE(outcome.completed());
  const auto error = error_as<http::transport_error>(outcome);
  REQUIRE(error.has_value());
  CHECK(error->attempts() == 3);
  CHECK(m.proxy.count(proxy_request_kind::list_objects) == 3);
  CHECK(m.proxy.count(proxy_request_kind::put_object) == 0);
  m.check(outcome);
}

TEST_CASE("faults: a reset in the middle of each part's first UploadPart answer is retried", "[faults]") {
  matrix m("faults-reset-part");
  auto seen = std::make_shared<std::set<std::string>>();  // touched on the proxy thread only
  m.proxy.set_faults([seen](const s3co::testing::proxied_request& request) {
    if (request.kind != proxy_request_kind::upload_part) return proxy_fault::none;
    return seen->insert(request.target).second ? proxy_fault::reset_mid_body : proxy_fault::none;
  });
  const run_outcome outcome = m.run_through_proxy(matrix::multipart_manifest());
  INFO(m.describe_log());
  REQUIRE(outcome.completed());
  CHECK(outcome.result->manifest_multipart);
  CHECK(m.proxy.count(proxy_request_kind::upload_part) == 4);  // 2 parts, twice each
  CHECK(m.proxy.count(proxy_request_kind::create_multipart) == 1);
  CHECK(m.proxy.count(proxy_request_kind::complete_multipart) == 1);
  m.check(outcome);
}

TEST_CASE("faults: UploadPart failing every time aborts the upload, even when the abort is throttled twice",
          "[faults]") {
  matrix m("faults-part-fails");
  m.proxy.set_faults([](const s3co::testing::proxied_request& request) {
    if (request.kind == proxy_request_kind::upload_part) return proxy_fault::internal_error;
    if (request.kind == proxy_request_kind::abort_multipart && request.number_of_kind <= 2) {
      return proxy_fault::slow_down;
    }
    return proxy_fault::none;
  });
  const run_outcome outcome = m.run_through_proxy(matrix::multipart_manifest());
  INFO(m.describe_log());
  REQUIRE_FALSE(outcome.completed());
  const auto error = error_as<s3::s3_error>(outcome);
  REQUIRE(error.has_value());
  CHECK(error->code() == "InternalError");
  CHECK(m.proxy.count(proxy_request_kind::create_multipart) == 1);
  CHECK(m.proxy.count(proxy_request_kind::upload_part) >= 3);
  CHECK(m.proxy.count(proxy_request_kind::upload_part) % 3 == 0);  // each part: three attempts
  CHECK(m.proxy.count(proxy_request_kind::abort_multipart) == 3);
  CHECK(m.proxy.count(proxy_request_kind::complete_multipart) == 0);
  m.check(outcome);
}

TEST_CASE("faults: a truncated list body is a malformed_response, never a short manifest", "[faults]") {
  matrix m("faults-truncate");
  SECTION("the second page cut in half") {
    m.proxy.set_faults(s3co::testing::fault_nth(proxy_request_kind::list_objects, 2, proxy_fault::truncate_body));
  }
  SECTION("every page cut in half") {
    m.proxy.set_faults(s3co::testing::fault_always(proxy_request_kind::list_objects, proxy_fault::truncate_body));
  }
  const run_outcome outcome = m.run_through_proxy();
  INFO(m.describe_log());
  // A 200 with a cut body is not retried by the transport: the XML check
  // must catch it.
  REQUIRE_FALSE(outcome.completed());
  CHECK(error_as<s3::malformed_response>(outcome).has_value());
  CHECK(m.proxy.count(proxy_request_kind::put_object) == 0);
  m.check(outcome);
}

TEST_CASE("faults: a stall past the timeout on one list attempt is retried", "[faults]") {
  matrix m("faults-stall-once");
  m.proxy.set_faults(s3co::testing::fault_nth(proxy_request_kind::list_objects, 2, proxy_fault::stall));
  http::client_options options = matrix::options();
  options.request_timeout = std::chrono::milliseconds(1500);
  const run_outcome outcome = m.run_through_proxy(options, matrix::single_put_manifest());
  INFO(m.describe_log());
  REQUIRE(outcome.completed());
  CHECK(m.proxy.count(proxy_request_kind::list_objects) == 4);
  CHECK(outcome.elapsed >= std::chrono::milliseconds(1500));
  m.check(outcome);
}

TEST_CASE("faults: a stall past the timeout on every attempt fails the run within a bounded time", "[faults]") {
  matrix m("faults-stall");
  http::client_options options = matrix::options();
  options.request_timeout = std::chrono::milliseconds(400);
  SECTION("on the list requests") {
    m.proxy.set_faults(s3co::testing::fault_always(proxy_request_kind::list_objects, proxy_fault::stall));
  }
  SECTION("on the manifest's PutObject") {
    m.proxy.set_faults(s3co::testing::fault_always(proxy_request_kind::put_object, proxy_fault::stall));
    options.request_timeout = std::chrono::milliseconds(1500);  // pages of ~1 MB must still go through
  }
  const run_outcome outcome = m.run_through_proxy(options, matrix::single_put_manifest());
  INFO(m.describe_log());
  REQUIRE_FALSE(outcome.completed());
  const auto error = error_as<http::transport_error>(outcome);
  REQUIRE(error.has_value());
  CHECK(error->attempts() == 3);
  CHECK(error->system_code() == std::error_code(boost::system::error_code(boost::beast::error::timeout)));
  // Three attempts of one timeout each, the backoff in milliseconds, and the
  // pages before: far below this bound, far above a hang.
  CHECK(outcome.elapsed < 3 * options.request_timeout + std::chrono::seconds(4));
  m.check(outcome);
}

TEST_CASE("faults: the manifest's PutObject is stored but every answer is lost", "[faults]") {
  matrix m("faults-put-lost");
  SECTION("the first answer lost: the retry completes the run") {
    m.proxy.set_faults(s3co::testing::fault_first(proxy_request_kind::put_object, 1, proxy_fault::reset_mid_body));
    const run_outcome outcome = m.run_through_proxy();
    INFO(m.describe_log());
    REQUIRE(outcome.completed());
    CHECK(m.proxy.count(proxy_request_kind::put_object) == 2);
    m.check(outcome);
  }
  SECTION("every answer lost: the run fails and leaves no manifest") {
    m.proxy.set_faults(s3co::testing::fault_always(proxy_request_kind::put_object, proxy_fault::reset_mid_body));
    const run_outcome outcome = m.run_through_proxy();
    INFO(m.describe_log());
    REQUIRE_FALSE(outcome.completed());
    const auto error = error_as<http::transport_error>(outcome);
    REQUIRE(error.has_value());
    CHECK(error->attempts() == 3);
    // An answer that began and broke off is an attempt, pooled connection
    // or not: never replayed for free as if the connection had been stale.
    CHECK(m.proxy.count(proxy_request_kind::put_object) == 3);
    m.check(outcome);
  }
}

TEST_CASE("faults: CompleteMultipartUpload is applied but its answer is lost", "[faults]") {
  matrix m("faults-complete-lost");
  SECTION("the first answer lost") {
    m.proxy.set_faults(
        s3co::testing::fault_first(proxy_request_kind::complete_multipart, 1, proxy_fault::reset_mid_body));
  }
  SECTION("every answer lost") {
    m.proxy.set_faults(
        s3co::testing::fault_always(proxy_request_kind::complete_multipart, proxy_fault::reset_mid_body));
  }
  const run_outcome outcome = m.run_through_proxy(matrix::multipart_manifest());
  INFO(m.describe_log());
  CHECK(m.proxy.count(proxy_request_kind::complete_multipart) >= 2);
  m.check(outcome);
}

TEST_CASE("faults: CreateMultipartUpload failing every time fails the run cleanly", "[faults]") {
  matrix m("faults-create-fails");
  m.proxy.set_faults(s3co::testing::fault_always(proxy_request_kind::create_multipart, proxy_fault::internal_error));
  const run_outcome outcome = m.run_through_proxy(matrix::multipart_manifest());
  INFO(m.describe_log());
  REQUIRE_FALSE(outcome.completed());
  const auto error = error_as<s3::s3_error>(outcome);
  REQUIRE(error.has_value());
  CHECK(error->code() == "InternalError");
  CHECK(m.proxy.count(proxy_request_kind::create_multipart) == 3);
  CHECK(m.proxy.count(proxy_request_kind::upload_part) == 0);
  m.check(outcome);
}

TEST_CASE("faults: the sign_pdfs program exits 1 naming the error, and leaves nothing behind", "[faults][cli]") {
  matrix m("faults-cli");
  std::string expected_code;
  SECTION("503 SlowDown on every list request") {
    m.proxy.set_faults(s3co::testing::fault_always(proxy_request_kind::list_objects, proxy_fault::slow_down));
    expected_code = "SlowDown";
  }
  SECTION("UploadPart failing every time (the ~6 MB manifest goes up in 5 MiB parts)") {
    m.proxy.set_faults(s3co::testing::fault_always(proxy_request_kind::upload_part, proxy_fault::internal_error));
    expected_code = "InternalError";
  }
  // (One chain, as in the matrix: the counts below are one chain's.)
  const auto run = s3co::testing::run_sign_pdfs("--bucket " + m.bucket + " --prefix docs/ --list-concurrency 1",
                                                "S3_ENDPOINT_URL=" + m.proxy.endpoint_url());
  INFO(m.describe_log() << "stdout: " << run.out << "\nstderr: " << run.err);
  CHECK(run.exit_status == 1);
  simdjson::dom::parser parser;
  const std::string error = s3co::testing::string_field(s3co::testing::parse_object(parser, run.out), "error");
  CHECK(error.find(expected_code) != std::string::npos);
  CHECK(run.err.find("\"event\":\"failed\"") != std::string::npos);
  CHECK(run.err.find(m.env.credentials.secret_access_key) == std::string::npos);
  // Three attempts at the first page, or the three pages.
  CHECK(m.proxy.count(proxy_request_kind::list_objects) == 3);
  CHECK(m.proxy.count(proxy_request_kind::put_object) == 0);
  CHECK(m.proxy.count(proxy_request_kind::complete_multipart) == 0);
  if (expected_code == "InternalError") {
    CHECK(m.proxy.count(proxy_request_kind::create_multipart) == 1);
    CHECK(m.proxy.count(proxy_request_kind::upload_part) >= 3);
    CHECK(m.proxy.count(proxy_request_kind::upload_part) % 3 == 0);  // each part: three attempts
    CHECK(m.proxy.count(proxy_request_kind::abort_multipart) == 1);
  }
  CHECK(m.list_keys("manifests/").empty());
  CHECK(m.open_uploads() == 0);
}

namespace {

// Polls `ready` until it holds or `limit` passes; whether it held.
template <typename Predicate>
bool wait_until(Predicate ready, std::chrono::milliseconds limit) {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  while (!ready()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// The program's `failed` log line, or empty.
std::string failed_line(const std::string& err) {
  for (const auto& line : s3co::testing::lines_of(err)) {
    if (line.find("\"event\":\"failed\"") != std::string::npos) return line;
  }
  return {};
}

// sign_pdfs through the matrix's proxy, started in the background.
std::unique_ptr<s3co::testing::background_process> start_through_proxy(const matrix& m,
                                                                       const std::string& arguments = {}) {
  return s3co::testing::start_sign_pdfs("--bucket " + m.bucket + " --prefix docs/ " + arguments,
                                        "S3_ENDPOINT_URL=" + m.proxy.endpoint_url());
}

}  // namespace

TEST_CASE("faults: a signal in the middle of the manifest upload cancels the run and leaves nothing behind",
          "[faults][cli][signals]") {
  matrix m("faults-signal");
  // Every UploadPart stalls: the run stays mid-upload until it is cancelled.
  m.proxy.set_faults(s3co::testing::fault_always(proxy_request_kind::upload_part, proxy_fault::stall));
  int signal_number = 0;
  std::string signal_name;
  SECTION("SIGINT") {
    signal_number = SIGINT;
    signal_name = "SIGINT";
  }
  SECTION("SIGTERM") {
    signal_number = SIGTERM;
    signal_name = "SIGTERM";
  }
  SECTION("SIGHUP") {
    signal_number = SIGHUP;
    signal_name = "SIGHUP";
  }
  auto program = start_through_proxy(m);
  REQUIRE(wait_until([&] { return m.proxy.count(proxy_request_kind::upload_part) >= 1; }, std::chrono::seconds(60)));
  program->signal(signal_number);
  const auto run = program->wait_for(std::chrono::seconds(60));
  REQUIRE(run.has_value());
  INFO(m.describe_log() << "stdout: " << run->out << "\nstderr: " << run->err);
  CHECK(run->exit_status == 128 + signal_number);  // 130, 143, 129: what shells expect
  const std::string failed = failed_line(run->err);
  CHECK(failed.find("cancelled") != std::string::npos);
  CHECK(failed.find(signal_name) != std::string::npos);
  CHECK(run->out.find("cancelled") != std::string::npos);
  CHECK(m.proxy.count(proxy_request_kind::abort_multipart) >= 1);
  CHECK(m.open_uploads() == 0);
  CHECK(m.list_keys("manifests/").empty());
}

TEST_CASE("faults: a second signal during the clean-up ends the program at once", "[faults][cli][signals]") {
  matrix m("faults-two-signals");
  // The parts and the abort stall: the clean-up after the first signal
  // would wait for its whole time bound.
  m.proxy.set_faults([](const s3co::testing::proxied_request& request) {
    const bool stalls =
        request.kind == proxy_request_kind::upload_part || request.kind == proxy_request_kind::abort_multipart;
    return stalls ? proxy_fault::stall : proxy_fault::none;
  });
  auto program = start_through_proxy(m);
  REQUIRE(wait_until([&] { return m.proxy.count(proxy_request_kind::upload_part) >= 1; }, std::chrono::seconds(60)));
  program->signal(SIGTERM);
  REQUIRE(wait_until([&] { return m.proxy.count(proxy_request_kind::abort_multipart) >= 1; },
                     std::chrono::seconds(30)));
  const auto second = std::chrono::steady_clock::now();
  program->signal(SIGTERM);
  const auto run = program->wait_for(std::chrono::seconds(60));
  REQUIRE(run.has_value());
  INFO(m.describe_log() << "stdout: " << run->out << "\nstderr: " << run->err);
  CHECK(run->exit_status == 143);
  CHECK(std::chrono::steady_clock::now() - second < std::chrono::seconds(2));
}

TEST_CASE("faults: the server gone after the first part: the abort is retried, then the upload left behind is named",
          "[faults][cli]") {
  matrix m("faults-server-gone");
  auto first_part_seen = std::make_shared<std::atomic<bool>>(false);
  m.proxy.set_faults([first_part_seen](const s3co::testing::proxied_request& request) {
    if (first_part_seen->load()) return proxy_fault::drop_connection;
    if (request.kind == proxy_request_kind::upload_part) *first_part_seen = true;
    return proxy_fault::none;
  });
  const auto started = std::chrono::steady_clock::now();
  auto program = start_through_proxy(m);
  const auto run = program->wait_for(std::chrono::seconds(120));
  REQUIRE(run.has_value());
  const auto elapsed = std::chrono::steady_clock::now() - started;
  m.proxy.clear_faults();
  INFO(m.describe_log() << "stdout: " << run->out << "\nstderr: " << run->err);
  CHECK(run->exit_status == 1);
  CHECK(m.proxy.count(proxy_request_kind::abort_multipart) >= 2);  // retried
  CHECK(elapsed < std::chrono::seconds(60));                         // for a bounded time

  const auto uploads = run_async(m.context, m.direct.list_multipart_uploads({.bucket = m.bucket}));
  REQUIRE(uploads.size() == 1);
  const std::string& upload_id = uploads[0].upload_id;
  simdjson::dom::parser parser;
  const auto body = s3co::testing::parse_object(parser, run->out);
  const std::string error = s3co::testing::string_field(body, "error");
  CHECK(error.find(upload_id) != std::string::npos);
  simdjson::dom::object left;
  REQUIRE(body["upload_left_behind"].get(left) == simdjson::SUCCESS);
  CHECK(s3co::testing::string_field(left, "bucket") == m.bucket);
  CHECK(s3co::testing::string_field(left, "key") == uploads[0].key);
  CHECK(s3co::testing::string_field(left, "upload_id") == upload_id);
  const std::string failed = failed_line(run->err);
  CHECK(failed.find(upload_id) != std::string::npos);
  CHECK(failed.find(uploads[0].key) != std::string::npos);
  CHECK(failed.find(m.env.credentials.secret_access_key) == std::string::npos);
  run_async(m.context, m.direct.abort_multipart_upload(m.bucket, uploads[0].key, upload_id));
}

TEST_CASE("faults: --deadline-seconds ends a stalled upload at the deadline and leaves nothing behind",
          "[faults][cli][timeouts]") {
  matrix m("faults-deadline");
  m.proxy.set_faults(s3co::testing::fault_always(proxy_request_kind::upload_part, proxy_fault::stall));
  const auto started = std::chrono::steady_clock::now();
  auto program = start_through_proxy(m, "--deadline-seconds 3");
  const auto run = program->wait_for(std::chrono::seconds(60));
  REQUIRE(run.has_value());
  const auto elapsed = std::chrono::steady_clock::now() - started;
  INFO(m.describe_log() << "stdout: " << run->out << "\nstderr: " << run->err);
  CHECK(run->exit_status == 1);
  CHECK(failed_line(run->err).find("deadline") != std::string::npos);
  CHECK(elapsed >= std::chrono::seconds(3));
  CHECK(elapsed < std::chrono::seconds(30));
  CHECK(m.proxy.count(proxy_request_kind::abort_multipart) >= 1);
  CHECK(m.open_uploads() == 0);
  CHECK(m.list_keys("manifests/").empty());
}
