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
