// sign_pdfs on a machine whose clock is off by two hours, either way (the
// program runs with tests/tools/clock_shift preloaded): its signed requests
// recover from RequestTimeTooSkewed, and every URL it returns, the
// manifest's included, is signed on the server's clock and answers 200.
#include "s3co/aws/amz_time.hpp"
#include "s3co/http/client.hpp"
#include "s3co/s3/client.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <string>

#include <boost/asio/io_context.hpp>
#include <simdjson.h>

#include "support/json_fields.hpp"
#include "support/run_async.hpp"
#include "support/run_command.hpp"
#include "support/s3_server_env.hpp"
#include "support/sign_pdfs_program.hpp"

using namespace s3co;
using s3co::testing::run_async;
using s3co::testing::shell_quote;

namespace {

std::string with_clock_shifted(std::chrono::seconds shift) {
  return "LD_PRELOAD=" + shell_quote(S3CO_CLOCK_SHIFT_LIBRARY) +
         " S3CO_CLOCK_SHIFT_SECONDS=" + std::to_string(shift.count());
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

}  // namespace

TEST_CASE("a local clock two hours off still gives URLs that answer 200", "[pipeline][cli][clock]") {
  const auto shift = GENERATE(std::chrono::seconds(-7200), std::chrono::seconds(7200));
  INFO("local clock shifted by " << shift.count() << " s");

  // The shim works: a program run under it sees the shifted clock.
  const auto shifted_date = std::stoll(s3co::testing::run_command(with_clock_shifted(shift) + " date +%s"));
  REQUIRE(std::abs(shifted_date - unix_seconds_now() - shift.count()) < 60);

  s3co::testing::s3_server_env env = s3co::testing::load_s3_server_env();
  boost::asio::io_context context;
  http::client transport(context.get_executor());
  s3::client<http::client> s3(transport, env.credentials, env.region, env.endpoint);
  const std::string bucket = s3co::testing::unique_bucket("sign-pdfs-clock");
  run_async(context, s3.create_bucket(bucket));
  for (const char* key : {"in/a.pdf", "in/b.pdf", "in/c.PDF"}) {
    run_async(context, s3.put_object({.bucket = bucket, .key = key}, std::string("%PDF ") + key));
  }

  // Ten minutes of validity: far less than the skew, so a URL signed on the
  // local clock would be dead (or not yet valid) on arrival.
  const auto run = s3co::testing::run_sign_pdfs("--bucket " + bucket + " --prefix in/ --expiry-seconds 600",
                                                with_clock_shifted(shift));
  INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
  REQUIRE(run.exit_status == 0);
  // The program ran on the shifted clock: its log lines are stamped with it.
  simdjson::dom::parser log_parser;
  const auto first_log_line = s3co::testing::parse_object(log_parser, s3co::testing::lines_of(run.err).at(0));
  const auto logged_at = aws::parse_iso8601_utc(s3co::testing::string_field(first_log_line, "ts"));
  REQUIRE(logged_at.has_value());
  CHECK(std::abs(std::chrono::duration_cast<std::chrono::seconds>(logged_at->time_since_epoch()).count() -
                 unix_seconds_now() - shift.count()) < 60);
  simdjson::dom::parser parser;
  const auto out_lines = s3co::testing::lines_of(run.out);
  REQUIRE(out_lines.size() == 1);
  const auto result = s3co::testing::parse_object(parser, out_lines[0]);
  CHECK(s3co::testing::number_field(result, "count") == 3);
  const std::string manifest_url = s3co::testing::string_field(result, "manifest_url");
  CHECK(std::abs(signed_at(manifest_url) - unix_seconds_now()) < 60);
  CHECK(http_status(manifest_url) == 200);

  const std::string manifest = s3co::testing::run_command("curl -sS --fail " + shell_quote(manifest_url));
  const auto lines = s3co::testing::lines_of(manifest);
  REQUIRE(lines.size() == 3);
  simdjson::dom::parser line_parser;
  for (const auto& line : lines) {
    const std::string url = s3co::testing::string_field(s3co::testing::parse_object(line_parser, line), "url");
    INFO(url);
    CHECK(std::abs(signed_at(url) - unix_seconds_now()) < 60);
    CHECK(http_status(url) == 200);
  }
}
