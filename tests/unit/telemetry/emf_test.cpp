#include "s3co/telemetry/emf.hpp"

#include <catch2/catch.hpp>

#include <simdjson.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

using namespace s3co::telemetry;
using namespace std::chrono;

namespace {

const system_clock::time_point frozen = sys_days{2026y / April / 1} + 12h + 500ms;
const std::int64_t frozen_ms = duration_cast<milliseconds>(frozen.time_since_epoch()).count();

// "m7": names without g++ 12's false -Wrestrict on "literal" + std::string.
std::string numbered(const char* prefix, int i) { return std::string(prefix).append(std::to_string(i)); }

// The emf_error `body` throws; fails the test when it throws nothing.
template <typename Body>
std::string emf_error_of(Body body) {
  try {
    body();
  } catch (const emf_error& error) {
    return error.what();
  }
  FAIL("no emf_error");
  return {};
}

struct parsed {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::object directive;
  explicit parsed(const std::string& line) {
    INFO("line: " << line);
    REQUIRE(line.find('\n') == std::string::npos);
    REQUIRE(parser.parse(line).get(doc) == simdjson::SUCCESS);
    simdjson::dom::array directives;
    REQUIRE(doc["_aws"]["CloudWatchMetrics"].get_array().get(directives) == simdjson::SUCCESS);
    REQUIRE(directives.size() == 1);
    REQUIRE(directives.at(0).get_object().get(directive) == simdjson::SUCCESS);
  }
};

emf_record sign_pdfs_record() {
  emf_record record("s3co/sign_pdfs");
  record.timestamp(frozen)
      .dimension("Function", "sign_pdfs")
      .metric("PDFsProcessed", 5000, "Count")
      .metric("Errors", 0, "Count")
      .metric("Pages", 5, "Count")
      .metric("DurationMs", 812.5, "Milliseconds")
      .property("request_id", "req-1")
      .property("manifest_key", "manifests/0b6e.jsonl");
  return record;
}

}  // namespace

TEST_CASE("an EMF line has the directive under _aws and the values at the root", "[emf]") {
  const std::string line = sign_pdfs_record().to_json();
  CHECK(line.starts_with(std::string(R"({"_aws":{"Timestamp":)").append(std::to_string(frozen_ms)).append(
                         R"(,"CloudWatchMetrics":[{"Namespace":"s3co/sign_pdfs","Dimensions":[["Function"]],"Metrics":[{"Name":"PDFsProcessed","Unit":"Count"},)")));
  CHECK(line.find(R"(]}]},"Function":"sign_pdfs","PDFsProcessed":5000,"Errors":0,"Pages":5,"DurationMs":812.5,"request_id":"req-1",)") !=
        std::string::npos);

  parsed p(line);
  CHECK(std::int64_t(p.doc["_aws"]["Timestamp"]) == frozen_ms);
  CHECK(std::string_view(p.directive["Namespace"]) == "s3co/sign_pdfs");
  simdjson::dom::array dimensions = p.directive["Dimensions"];
  REQUIRE(dimensions.size() == 1);
  simdjson::dom::array first_set = dimensions.at(0);
  REQUIRE(first_set.size() == 1);
  CHECK(std::string_view(first_set.at(0)) == "Function");
  simdjson::dom::array metrics = p.directive["Metrics"];
  REQUIRE(metrics.size() == 4);
  const std::vector<std::pair<std::string_view, std::string_view>> expected{
      {"PDFsProcessed", "Count"}, {"Errors", "Count"}, {"Pages", "Count"}, {"DurationMs", "Milliseconds"}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CHECK(std::string_view(metrics.at(i)["Name"]) == expected[i].first);
    CHECK(std::string_view(metrics.at(i)["Unit"]) == expected[i].second);
    CHECK(metrics.at(i)["StorageResolution"].error() == simdjson::NO_SUCH_FIELD);
  }
  CHECK(std::string_view(p.doc["Function"]) == "sign_pdfs");
  CHECK(double(p.doc["PDFsProcessed"]) == 5000);
  CHECK(double(p.doc["Errors"]) == 0);
  CHECK(double(p.doc["DurationMs"]) == 812.5);
  CHECK(std::string_view(p.doc["request_id"]) == "req-1");
  CHECK(std::string_view(p.doc["manifest_key"]) == "manifests/0b6e.jsonl");
}

TEST_CASE("EMF lines go out whole, by emit or through a structured_log", "[emf]") {
  const emf_record record = sign_pdfs_record();
  std::ostringstream direct;
  record.emit(direct);
  CHECK(direct.str() == record.to_json() + "\n");

  std::ostringstream logged;
  structured_log log(logged);
  log.write_line(record.to_json());
  CHECK(logged.str() == direct.str());

  std::string appended = "prefix ";
  record.append_json(appended);
  CHECK(appended == std::string("prefix ").append(record.to_json()));
}

TEST_CASE("EMF allows 100 metrics and rejects the 101st", "[emf]") {
  emf_record record("s3co");
  record.timestamp(frozen);
  for (int i = 0; i < 100; ++i) record.metric(numbered("m", i), i, "Count");
  CHECK(record.metric_count() == 100);
  const std::string message = emf_error_of([&] { record.metric("m100", 1, "Count"); });
  CHECK_THAT(message, Catch::Contains("m100") && Catch::Contains("100"));
  CHECK(record.metric_count() == 100);  // the record is unchanged and usable
  parsed p(record.to_json());
  simdjson::dom::array metrics = p.directive["Metrics"];
  CHECK(metrics.size() == 100);
  for (int i = 0; i < 100; ++i) CHECK(double(p.doc[numbered("m", i)]) == i);
}

TEST_CASE("EMF allows 30 dimension keys per set and rejects 31", "[emf]") {
  emf_record record("s3co");
  for (int i = 0; i < 31; ++i) record.dimension(numbered("d", i), numbered("v", i));
  record.metric("m", 1);

  // 31 dimensions in the default set.
  CHECK_THAT(emf_error_of([&] { (void)record.to_json(); }), Catch::Contains("31") && Catch::Contains("30"));

  // An explicit set of 31 keys is refused at once; 30 is fine.
  std::vector<std::string> keys;
  for (int i = 0; i < 31; ++i) keys.push_back(numbered("d", i));
  CHECK_THAT(emf_error_of([&] { record.dimension_set(keys); }), Catch::Contains("31"));
  keys.pop_back();
  record.dimension_set(keys);
  record.dimension_set({"d30"});
  parsed p(record.to_json());
  simdjson::dom::array sets = p.directive["Dimensions"];
  REQUIRE(sets.size() == 2);
  CHECK(simdjson::dom::array(sets.at(0)).size() == 30);
  CHECK(std::string_view(simdjson::dom::array(sets.at(1)).at(0)) == "d30");
  for (int i = 0; i < 31; ++i) CHECK(std::string_view(p.doc[numbered("d", i)]) == numbered("v", i));

  emf_record thirty("s3co");
  for (int i = 0; i < 30; ++i) thirty.dimension(numbered("d", i), "v");
  thirty.metric("m", 1);
  parsed q(thirty.to_json());
  CHECK(simdjson::dom::array(simdjson::dom::array(q.directive["Dimensions"]).at(0)).size() == 30);
}

TEST_CASE("EMF dimension sets name keys that have values", "[emf]") {
  emf_record record("s3co");
  record.dimension("Function", "sign_pdfs").metric("m", 1).dimension_set({"Function", "Stage"});
  CHECK_THAT(emf_error_of([&] { (void)record.to_json(); }), Catch::Contains("Stage"));
  record.dimension("Stage", "prod");
  parsed p(record.to_json());
  CHECK(std::string_view(p.doc["Stage"]) == "prod");
  CHECK_THAT(emf_error_of([&] { record.dimension_set({"A", "A"}); }), Catch::Contains("twice"));

  emf_record bare("s3co");
  bare.metric("m", 1);
  parsed q(bare.to_json());  // no dimensions: one empty set
  CHECK(simdjson::dom::array(simdjson::dom::array(q.directive["Dimensions"]).at(0)).size() == 0);
}

TEST_CASE("EMF accepts exactly CloudWatch's units", "[emf]") {
  emf_record record("s3co");
  int i = 0;
  for (const auto unit : cloudwatch_units) {
    CHECK(is_cloudwatch_unit(unit));
    record.metric(numbered("m", i++), 1, unit);
  }
  parsed p(record.to_json());
  simdjson::dom::array metrics = p.directive["Metrics"];
  REQUIRE(metrics.size() == cloudwatch_units.size());
  for (std::size_t j = 0; j < cloudwatch_units.size(); ++j) {
    CHECK(std::string_view(metrics.at(j)["Unit"]) == cloudwatch_units[j]);
  }
  for (const char* bad : {"", "count", "COUNT", "Second", "ms", "Bytes/second", "Bytes/Sec", "Count ", "Percentage",
                          "Nanoseconds", "None\n"}) {
    INFO(bad);
    CHECK_THAT(emf_error_of([&] { record.metric("x", 1, bad); }), Catch::Contains("not a CloudWatch unit"));
  }
}

TEST_CASE("EMF metric values are finite numbers within CloudWatch's range", "[emf]") {
  emf_record record("s3co");
  for (const double bad : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(), 1e109, -1e109}) {
    INFO(bad);
    CHECK_THAT(emf_error_of([&] { record.metric("x", bad); }), Catch::Contains("\"x\""));
  }
  record.metric("big", 1e108).metric("tiny", -1e-300).metric("zero", 0.0).metric("neg", -3.25);
  parsed p(record.to_json());
  CHECK(double(p.doc["big"]) == 1e108);
  CHECK(double(p.doc["tiny"]) == -1e-300);
  CHECK(double(p.doc["neg"]) == -3.25);
  CHECK_THAT(emf_error_of([&] { record.metric("r", 1, "Count", 30); }), Catch::Contains("resolution"));
  record.metric("hi_res", 2, "Count", 1);
  parsed q(record.to_json());
  simdjson::dom::array metrics = q.directive["Metrics"];
  CHECK(std::int64_t(metrics.at(metrics.size() - 1)["StorageResolution"]) == 1);
}

TEST_CASE("EMF names: non-empty, bounded, not repeated", "[emf]") {
  emf_record record("s3co");
  CHECK_THAT(emf_error_of([&] { record.metric("", 1); }), Catch::Contains("metric name"));
  CHECK_THAT(emf_error_of([&] { record.metric("   ", 1); }), Catch::Contains("non-blank"));
  CHECK_THAT(emf_error_of([&] { record.metric(std::string(256, 'm'), 1); }), Catch::Contains("255"));
  CHECK_THAT(emf_error_of([&] { record.metric("bad\xC3", 1); }), Catch::Contains("UTF-8"));
  CHECK_THAT(emf_error_of([&] { record.metric("tab\there", 1); }), Catch::Contains("control"));
  record.metric(std::string(255, 'm'), 1);
  record.metric("Größe", 2);  // metric names may be UTF-8

  CHECK_THAT(emf_error_of([&] { record.metric("Größe", 3); }), Catch::Contains("already a metric"));
  record.dimension("Function", "f");
  CHECK_THAT(emf_error_of([&] { record.dimension("Function", "g"); }), Catch::Contains("already a dimension"));
  CHECK_THAT(emf_error_of([&] { record.metric("Function", 1); }), Catch::Contains("already a dimension"));
  CHECK_THAT(emf_error_of([&] { record.property("Größe", "x"); }), Catch::Contains("already a metric"));
  CHECK_THAT(emf_error_of([&] { record.metric("_aws", 1); }), Catch::Contains("reserved"));
  CHECK_THAT(emf_error_of([&] { record.property("_aws", 1); }), Catch::Contains("reserved"));

  CHECK_THAT(emf_error_of([&] { record.dimension("", "v"); }), Catch::Contains("dimension name"));
  CHECK_THAT(emf_error_of([&] { record.dimension(":x", "v"); }), Catch::Contains("':'"));
  CHECK_THAT(emf_error_of([&] { record.dimension(std::string(256, 'd'), "v"); }), Catch::Contains("255"));
  CHECK_THAT(emf_error_of([&] { record.dimension("Stage", ""); }), Catch::Contains("value"));
  CHECK_THAT(emf_error_of([&] { record.dimension("Stage", " "); }), Catch::Contains("value"));
  CHECK_THAT(emf_error_of([&] { record.dimension("Stage", "prød"); }), Catch::Contains("ASCII"));
  CHECK_THAT(emf_error_of([&] { record.dimension("Stage", std::string(1025, 'v')); }), Catch::Contains("1024"));
  CHECK_THAT(emf_error_of([&] { record.dimension("Stäge", "v"); }), Catch::Contains("ASCII"));
  record.dimension("Stage", std::string(1024, 'v'));

  CHECK_THAT(emf_error_of([&] { record.property("p", "bad\xFF"); }), Catch::Contains("UTF-8"));
  CHECK_THAT(emf_error_of([&] { record.property("p", std::nan("")); }), Catch::Contains("finite"));
  CHECK_THAT(emf_error_of([&] { record.property("", 1); }), Catch::Contains("empty"));
  record.property("flag", true).property("count", 3).property("ratio", 0.5);
  parsed p(record.to_json());  // everything that was refused left no trace
  CHECK(bool(p.doc["flag"]));
  CHECK(std::int64_t(p.doc["count"]) == 3);
  CHECK(std::string_view(p.doc["Function"]) == "f");
  CHECK(double(p.doc["Größe"]) == 2);
}

TEST_CASE("EMF namespaces follow CloudWatch's rules", "[emf]") {
  for (const char* good : {"s3co", "My/App_1.x-y#z:w", "with space", "a"}) {
    INFO(good);
    CHECK_NOTHROW(emf_record(good));
  }
  CHECK_NOTHROW(emf_record(std::string(255, 'n')));
  for (const char* bad : {"", "   ", "a$b", "new\nline", "tab\t", "ünï", ":leading", "AWS/Lambda", "a\"b", "a\\b",
                          "a,b"}) {
    INFO(bad);
    CHECK_THAT(emf_error_of([&] { emf_record record(bad); }), Catch::Contains("namespace"));
  }
  CHECK_THAT(emf_error_of([] { emf_record record(std::string(256, 'n')); }), Catch::Contains("255"));
}

TEST_CASE("an EMF record needs a metric, and keeps its timestamp or takes the current time", "[emf]") {
  emf_record empty("s3co");
  empty.dimension("Function", "f");
  CHECK_THAT(emf_error_of([&] { (void)empty.to_json(); }), Catch::Contains("no metrics"));

  emf_record now("s3co");
  now.metric("m", 1);
  const auto before = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  parsed p(now.to_json());
  const auto after = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  const std::int64_t stamp = p.doc["_aws"]["Timestamp"];
  CHECK(stamp >= before);
  CHECK(stamp <= after);
}

TEST_CASE("EMF writes integral values as integers and others in shortest round-trip form", "[emf]") {
  emf_record record("s3co");
  record.timestamp(frozen)
      .metric("hundred_thousand", 100000)
      .metric("million", 1e6, "Count")
      .metric("two_to_53", 9007199254740992.0)
      .metric("minus_two_to_53", -9007199254740992.0)
      .metric("beyond_2_53", 1e20)
      .metric("negative_zero", -0.0)
      .metric("half", 812.5)
      .metric("third", 1.0 / 3)
      .metric("tiny", 1e-7)
      .property("count", 100000.0);
  const std::string line = record.to_json();
  INFO(line);
  CHECK(line.find(R"("hundred_thousand":100000,)") != std::string::npos);
  CHECK(line.find(R"("million":1000000,)") != std::string::npos);
  CHECK(line.find(R"("two_to_53":9007199254740992,)") != std::string::npos);
  CHECK(line.find(R"("minus_two_to_53":-9007199254740992,)") != std::string::npos);
  CHECK(line.find(R"("beyond_2_53":1e+20,)") != std::string::npos);
  CHECK(line.find(R"("negative_zero":0,)") != std::string::npos);
  CHECK(line.find(R"("half":812.5,)") != std::string::npos);
  CHECK(line.find(R"("count":100000})") != std::string::npos);
  parsed p(line);
  CHECK(double(p.doc["beyond_2_53"]) == 1e20);
  CHECK(double(p.doc["third"]) == 1.0 / 3);
  CHECK(double(p.doc["tiny"]) == 1e-7);
}
