#include "s3co/aws/amz_time.hpp"

#include <catch2/catch.hpp>

using namespace s3co::aws;
using namespace std::chrono;

TEST_CASE("amz timestamps format in UTC", "[time]") {
  const s3co::aws::utc_time_point epoch{};
  CHECK(amz_timestamp(epoch).text() == "19700101T000000Z");
  const s3co::aws::utc_time_point example = sys_days{2013y / May / 24} + 0h;
  CHECK(amz_timestamp(example).text() == "20130524T000000Z");
  CHECK(amz_timestamp(example).date() == "20130524");
  const s3co::aws::utc_time_point leap = sys_days{2024y / February / 29} + 23h + 59min + 59s + 999ms;
  CHECK(amz_timestamp(leap).text() == "20240229T235959Z");
}

TEST_CASE("amz timestamps parse back", "[time]") {
  const s3co::aws::utc_time_point when = sys_days{2026y / November / 23} + 11h + 5min + 7s;
  CHECK(parse_amz_timestamp("20261123T110507Z") == when);
  CHECK(amz_timestamp(*parse_amz_timestamp("20130524T000000Z")).text() == "20130524T000000Z");
  for (const char* bad : {"", "20130524", "20130524T000000", "20130524 000000Z", "2013-05-24T00:00:00Z",
                          "20130230T000000Z", "20131301T000000Z", "20130524T240000Z", "20130524T006000Z",
                          "2013052AT000000Z", "20130524T000000Z "}) {
    INFO(bad);
    CHECK_FALSE(parse_amz_timestamp(bad));
  }
}

TEST_CASE("ISO 8601 UTC times as AWS bodies write them parse, to the millisecond", "[time]") {
  const s3co::aws::utc_time_point when = sys_days{2026y / December / 3} + 14h + 5min + 7s;
  CHECK(parse_iso8601_utc("2026-12-03T14:05:07Z") == when);
  CHECK(parse_iso8601_utc("2026-12-03T14:05:07.1Z") == when + 100ms);
  CHECK(parse_iso8601_utc("2026-12-03T14:05:07.25Z") == when + 250ms);
  CHECK(parse_iso8601_utc("2026-12-03T14:05:07.123456Z") == when + 123ms);
  CHECK(parse_iso8601_utc("2024-02-29T00:00:00Z") == sys_days{2024y / February / 29} + 0h);
  for (const char* bad : {"", "2026-12-03", "2026-12-03T14:05:07", "2026-12-03 14:05:07Z", "20261203T140507Z",
                          "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-12-03T24:00:00Z",
                          "2026-12-03T14:60:00Z", "2026-12-03T14:05:07.Z", "2026-12-03T14:05:07,5Z",
                          "2026-12-03T14:05:07.1234567890Z", "2026-12-03T14:05:07+00:00", "2026-12-0xT14:05:07Z"}) {
    INFO(bad);
    CHECK_FALSE(parse_iso8601_utc(bad));
  }
}
