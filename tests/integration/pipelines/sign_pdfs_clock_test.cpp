// sign_pdfs on a machine whose clock is off by two hours, either way (the
// program runs with tests/tools/clock_shift preloaded): its signed requests
// recover from RequestTimeTooSkewed, and every URL it returns, the
// manifest's included, is signed on the server's clock and answers 200.
// Behind a proxy that strips the Date header, a skew S3 accepts goes unseen:
// URLs too short-lived to survive it are refused, longer ones still work, and
// a skew S3 refuses fails the run (radosgw's RequestTimeTooSkewed carries no
// ServerTime to correct from).
#include "s3co/aws/amz_time.hpp"
#include "s3co/http/client.hpp"
#include "s3co/s3/client.hpp"
#include "s3co/s3/list_objects.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <string>

#include <boost/asio/io_context.hpp>
#include <simdjson.h>

#include "support/fault_proxy.hpp"
#include "support/json_fields.hpp"
#include "support/run_async.hpp"
#include "support/run_command.hpp"
#include "support/s3_server_env.hpp"
#include "support/sign_pdfs_program.hpp"
#include "support/test_bucket.hpp"

using namespace s3co;
using s3co::testing::run_async;
using s3co::testing::shell_quote;

namespace {

// The shim comes first in the library list; in an ASan build (scripts/test
// --sanitize) the runtime would refuse that unless told it may.
std::string with_clock_shifted(std::chrono::seconds shift) {
  return "LD_PRELOAD=" + shell_quote(S3CO_CLOCK_SHIFT_LIBRARY) +
         " S3CO_CLOCK_SHIFT_SECONDS=" + std::to_string(shift.count()) +
         " ASAN_OPTIONS=\"${ASAN_OPTIONS:-}:verify_asan_link_order=0\"";
}

std::int64_t unix_seconds_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The X-Amz-Date of a presigned URL, as Unix seconds.
std::int64_t signed_at(const std::string& url) {
  const auto at = url.find("X-Amz-Date=");
  REQUIRE(at != std::string::npos);
  const std::string stamp = url.substr(at + 11, 16);  // YYYYMMDDTHHMMSSZ
  std::tm parts{};
  parts.tm_year = std::stoi(stamp.substr(0, 4)) - 1900;
  parts.tm_mon = std::stoi(stamp.substr(4, 2)) - 1;
  parts.tm_mday = std::stoi(stamp.substr(6, 2));
  parts.tm_hour = std::stoi(stamp.substr(9, 2));
  parts.tm_min = std::stoi(stamp.substr(11, 2));
  parts.tm_sec = std::stoi(stamp.substr(13, 2));
  return ::timegm(&parts);
}

int http_status(const std::string& url) {
  return std::stoi(s3co::testing::run_command("curl -sS -o /dev/null -w '%{http_code}' " + shell_quote(url)));
}

// A bucket holding in/a.pdf, in/b.pdf and in/c.PDF.
struct seeded_bucket : s3co::testing::test_bucket {
  explicit seeded_bucket(const std::string& stem) : test_bucket(stem) {
    seed({"in/a.pdf", "in/b.pdf", "in/c.PDF"}, "%PDF ", true);
  }
};

// Every URL of a run's result and manifest answers 200 and was signed on the
// server's (here: the real) clock.
void check_urls_live(const std::string& result_line, std::size_t expected_keys) {
  simdjson::dom::parser parser;
  const auto result = s3co::testing::parse_object(parser, result_line);
  CHECK(s3co::testing::number_field(result, "count") == expected_keys);
  const std::string manifest_url = s3co::testing::string_field(result, "manifest_url");
  CHECK(std::abs(signed_at(manifest_url) - unix_seconds_now()) < 60);
  CHECK(http_status(manifest_url) == 200);

  const std::string manifest = s3co::testing::run_command("curl -sS --fail " + shell_quote(manifest_url));
  const auto lines = s3co::testing::lines_of(manifest);
  REQUIRE(lines.size() == expected_keys);
  simdjson::dom::parser line_parser;
  for (const auto& line : lines) {
    const std::string url = s3co::testing::string_field(s3co::testing::parse_object(line_parser, line), "url");
    INFO(url);
    CHECK(std::abs(signed_at(url) - unix_seconds_now()) < 60);
    CHECK(http_status(url) == 200);
  }
}

// No manifest and no multipart upload in the bucket.
void check_nothing_written(seeded_bucket& seeded) {
  CHECK(run_async(seeded.context, seeded.s3.list_multipart_uploads({.bucket = seeded.bucket})).empty());
  s3::list_paginator manifests(seeded.s3, {.bucket = seeded.bucket, .prefix = "manifests/"});
  const auto page = run_async(seeded.context, manifests.next());
  CHECK((!page || page->objects.empty()));
}

}  // namespace

TEST_CASE("a local clock two hours off still gives URLs that answer 200", "[pipeline][cli][clock]") {
  const auto shift = GENERATE(std::chrono::seconds(-7200), std::chrono::seconds(7200));
  INFO("local clock shifted by " << shift.count() << " s");

  // The shim works: a program run under it sees the shifted clock.
  const auto shifted_date = std::stoll(s3co::testing::run_command(with_clock_shifted(shift) + " date +%s"));
  REQUIRE(std::abs(shifted_date - unix_seconds_now() - shift.count()) < 60);

  seeded_bucket seeded("sign-pdfs-clock");

  // Ten minutes of validity: far less than the skew, so a URL signed on the
  // local clock would be dead (or not yet valid) on arrival.
  const auto run = s3co::testing::run_sign_pdfs(
      "--bucket " + seeded.bucket + " --prefix in/ --expiry-seconds 600", with_clock_shifted(shift));
  INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
  REQUIRE(run.exit_status == 0);
  // The program ran on the shifted clock: its log lines are stamped with it.
  simdjson::dom::parser log_parser;
  const auto first_log_line = s3co::testing::parse_object(log_parser, s3co::testing::lines_of(run.err).at(0));
  const auto logged_at = aws::parse_iso8601_utc(s3co::testing::string_field(first_log_line, "ts"));
  REQUIRE(logged_at.has_value());
  CHECK(std::abs(std::chrono::duration_cast<std::chrono::seconds>(logged_at->time_since_epoch()).count() -
                 unix_seconds_now() - shift.count()) < 60);
  const auto out_lines = s3co::testing::lines_of(run.out);
  REQUIRE(out_lines.size() == 1);
  check_urls_live(out_lines[0], 3);
}

TEST_CASE("a server that never says its time: URLs that a hidden skew could kill are refused",
          "[pipeline][cli][clock]") {
  seeded_bucket seeded("sign-pdfs-no-date");
  s3co::testing::fault_proxy proxy(seeded.env.endpoint.host, seeded.env.endpoint.port.value_or(80));
  proxy.set_faults([](const s3co::testing::proxied_request&) { return s3co::testing::proxy_fault::strip_date; });
  const std::string through_proxy = "S3_ENDPOINT_URL=" + shell_quote(proxy.endpoint_url());
  const std::string arguments = "--bucket " + seeded.bucket + " --prefix in/";

  SECTION("15 minutes or less: exit 2 naming expiry_seconds, nothing written") {
    const auto run = s3co::testing::run_sign_pdfs(arguments + " --expiry-seconds 900", through_proxy);
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.exit_status == 2);
    CHECK(proxy.faults_injected() > 0);
    simdjson::dom::parser parser;
    const auto body = s3co::testing::parse_object(parser, run.out);
    CHECK(s3co::testing::string_field(body, "field") == "expiry_seconds");
    CHECK_THAT(s3co::testing::string_field(body, "error"), Catch::Contains("no Date header"));
    CHECK(run.err.find("\"event\":\"failed\"") != std::string::npos);
    check_nothing_written(seeded);
  }
  SECTION("longer: every URL answers 200") {
    const auto run = s3co::testing::run_sign_pdfs(arguments + " --expiry-seconds 901", through_proxy);
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    REQUIRE(run.exit_status == 0);
    CHECK(proxy.faults_injected() > 0);
    check_urls_live(s3co::testing::lines_of(run.out).at(0), 3);
  }
  SECTION("two hours off: radosgw's RequestTimeTooSkewed says no ServerTime either, so the run fails") {
    const auto run = s3co::testing::run_sign_pdfs(arguments + " --expiry-seconds 3600",
                                                  through_proxy + " " + with_clock_shifted(std::chrono::hours(-2)));
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.exit_status == 1);
    CHECK(run.out.find("RequestTimeTooSkewed") != std::string::npos);
    check_nothing_written(seeded);
  }
}
