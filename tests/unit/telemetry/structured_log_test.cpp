#include "s3co/telemetry/structured_log.hpp"

#include <catch2/catch.hpp>

#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace s3co::telemetry;
using namespace std::chrono;

namespace {

const system_clock::time_point frozen = sys_days{2026y / April / 1} + 12h + 34min + 56s + 789ms;

log_options frozen_options(log_level min_level = log_level::info) {
  log_options options;
  options.min_level = min_level;
  options.clock = [] { return frozen; };
  return options;
}

// Every line of `text`, each checked to end with '\n' and parse as an object.
std::vector<std::string> lines_of(const std::string& text) {
  REQUIRE((text.empty() || text.back() == '\n'));
  std::vector<std::string> lines;
  std::size_t begin = 0;
  simdjson::dom::parser parser;
  while (begin < text.size()) {
    const std::size_t end = text.find('\n', begin);
    lines.push_back(text.substr(begin, end - begin));
    INFO("line: " << lines.back());
    simdjson::dom::element doc;
    REQUIRE(parser.parse(lines.back()).get(doc) == simdjson::SUCCESS);
    REQUIRE(doc.is_object());
    begin = end + 1;
  }
  return lines;
}

struct parsed_line {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  explicit parsed_line(const std::string& line) {
    INFO("line: " << line);
    REQUIRE(parser.parse(line).get(doc) == simdjson::SUCCESS);
  }
  std::string text(const char* name) {
    std::string_view value;
    INFO("field " << name);
    REQUIRE(doc[name].get_string().get(value) == simdjson::SUCCESS);
    return std::string(value);
  }
  bool has(const char* name) { return doc[name].error() == simdjson::SUCCESS; }
};

const char* const secret_value = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

}  // namespace

TEST_CASE("a log line has ts, level, event, request_id and typed fields", "[structured_log]") {
  std::ostringstream out;
  structured_log log(out, frozen_options());
  const std::uint64_t big = std::numeric_limits<std::uint64_t>::max();
  const std::size_t count = 5000;
  log.write(log_level::info, "complete", "req-123",
            {{"bucket", "my-bucket"},
             {"count", count},
             {"errors", 0},
             {"delta", -42},
             {"big", big},
             {"duration_ms", 812.5},
             {"ratio", 0.1},
             {"nan", std::numeric_limits<double>::quiet_NaN()},
             {"ok", true},
             {"retry", false},
             {"key", std::string("2026/04/report.pdf")}});
  const auto lines = lines_of(out.str());
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].starts_with(R"({"ts":"2026-04-01T12:34:56.789Z","level":"info","event":"complete","request_id":"req-123",)"));
  parsed_line line(lines[0]);
  CHECK(line.text("ts") == "2026-04-01T12:34:56.789Z");
  CHECK(line.text("level") == "info");
  CHECK(line.text("event") == "complete");
  CHECK(line.text("request_id") == "req-123");
  CHECK(line.text("bucket") == "my-bucket");
  CHECK(line.text("key") == "2026/04/report.pdf");
  CHECK(std::int64_t(line.doc["count"]) == 5000);
  CHECK(std::int64_t(line.doc["errors"]) == 0);
  CHECK(std::int64_t(line.doc["delta"]) == -42);
  CHECK(std::uint64_t(line.doc["big"]) == big);
  CHECK(double(line.doc["duration_ms"]) == 812.5);
  CHECK(double(line.doc["ratio"]) == 0.1);  // shortest round-trip form
  CHECK(line.doc["nan"].is_null());
  CHECK(bool(line.doc["ok"]) == true);
  CHECK(bool(line.doc["retry"]) == false);
  CHECK(log.lines_written() == 1);
}

TEST_CASE("timestamps are UTC with milliseconds", "[structured_log]") {
  std::string out;
  format_log_line(out, system_clock::time_point{}, log_level::warn, "e", "", {});
  CHECK(out == R"({"ts":"1970-01-01T00:00:00.000Z","level":"warn","event":"e"})");
  out.clear();
  format_log_line(out, sys_days{2024y / February / 29} + 23h + 59min + 59s + 7ms + 999us, log_level::error, "e",
                  "", {});
  CHECK(out.starts_with(R"({"ts":"2024-02-29T23:59:59.007Z","level":"error")"));
  std::ostringstream stream;
  structured_log log(stream);  // the real clock
  log.write(log_level::info, "now", "");
  parsed_line line(lines_of(stream.str()).at(0));
  const std::string ts = line.text("ts");
  REQUIRE(ts.size() == 24);
  CHECK(ts[4] == '-');
  CHECK(ts[10] == 'T');
  CHECK(ts[19] == '.');
  CHECK(ts.back() == 'Z');
}

TEST_CASE("request_id is left out when empty, and levels filter", "[structured_log]") {
  std::ostringstream out;
  structured_log log(out, frozen_options(log_level::info));
  CHECK_FALSE(log.enabled(log_level::debug));
  CHECK(log.enabled(log_level::error));
  log.write(log_level::debug, "hidden", "");
  log.write(log_level::info, "shown", "");
  log.write(log_level::warn, "warned", "r");
  log.write(log_level::error, "failed", "r", {{"error", "boom"}});
  const auto lines = lines_of(out.str());
  REQUIRE(lines.size() == 3);
  parsed_line first(lines[0]);
  CHECK_FALSE(first.has("request_id"));
  CHECK(first.text("event") == "shown");
  CHECK(parsed_line(lines[1]).text("level") == "warn");
  parsed_line last(lines[2]);
  CHECK(last.text("level") == "error");
  CHECK(last.text("error") == "boom");
  CHECK(level_name(log_level::debug) == "debug");
}

TEST_CASE("fields with secret-looking names are redacted whatever their value", "[structured_log][redaction]") {
  for (const char* name : {"authorization", "Authorization", "secret", "aws_secret_access_key", "AWS_SECRET_ACCESS_KEY",
                           "token", "session_token", "x-amz-security-token", "X-Amz-Security-Token", "signature",
                           "X-Amz-Signature", "password", "db_password", "credential", "X-Amz-Credential", "Cookie",
                           "api-key", "apiKey", "private_key", "passwd", "client_secret", "SecretAccessKey"}) {
    INFO(name);
    CHECK(is_secret_name(name));
  }
  for (const char* name : {"key", "url", "bucket", "access_key_id", "X-Amz-Date", "X-Amz-SignedHeaders", "count",
                           "manifest_url", "region", "request_id", "keyboard"}) {
    INFO(name);
    CHECK_FALSE(is_secret_name(name));
  }

  std::ostringstream out;
  structured_log log(out, frozen_options());
  log.write(log_level::info, "credentials", "r",
            {{"aws_secret_access_key", secret_value},
             {"x-amz-security-token", secret_value},
             {"Authorization", secret_value},
             {"signature", secret_value},
             {"password", 12345},
             {"token_count", 3},  // a number with a secret-looking name is hidden too
             {"access_key_id", "AKIAIOSFODNN7EXAMPLE"},
             {"bucket", "b"}});
  const std::string text = out.str();
  CHECK(text.find(secret_value) == std::string::npos);
  CHECK(text.find("12345") == std::string::npos);
  parsed_line line(lines_of(text).at(0));
  for (const char* name : {"aws_secret_access_key", "x-amz-security-token", "Authorization", "signature",
                           "password", "token_count"}) {
    CHECK(line.text(name) == "[redacted]");
  }
  CHECK(line.text("access_key_id") == "AKIAIOSFODNN7EXAMPLE");
  CHECK(line.text("bucket") == "b");
}

TEST_CASE("redact_secrets blanks presigned URL secrets and SigV4 parameters", "[structured_log][redaction]") {
  const std::string url =
      "https://bucket.s3.amazonaws.com/key.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256"
      "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260401%2Fus-east-1%2Fs3%2Faws4_request"
      "&X-Amz-Date=20260401T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
      "&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEXAMPLE%2Btoken"
      "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
  CHECK(redact_secrets(url) ==
        "https://bucket.s3.amazonaws.com/key.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=[redacted]&X-Amz-Date=20260401T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
        "&X-Amz-Security-Token=[redacted]&X-Amz-Signature=[redacted]");

  const std::string header =
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
      "SignedHeaders=host;range;x-amz-date, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024";
  CHECK(redact_secrets(header) ==
        "AWS4-HMAC-SHA256 Credential=[redacted], SignedHeaders=host;range;x-amz-date, Signature=[redacted]");

  CHECK(redact_secrets("GET /x HTTP/1.1\nHost: s3\nAuthorization: AWS4-HMAC-SHA256 Credential=A/B, Signature=C\n"
                       "x-amz-security-token: FQoG\nx-amz-date: 20260401T000000Z") ==
        "GET /x HTTP/1.1\nHost: s3\nAuthorization: [redacted]\nx-amz-security-token: [redacted]\n"
        "x-amz-date: 20260401T000000Z");
  CHECK(redact_secrets("nothing secret: a=b c=d") == "nothing secret: a=b c=d");
  CHECK(redact_secrets("password=hunter2; user=bob") == "password=[redacted]; user=bob");
  CHECK(redact_secrets("") == "");

  // Applied to every string value on its way into a line.
  std::ostringstream out;
  structured_log log(out, frozen_options());
  log.write(log_level::info, "presigned", "", {{"manifest_url", url}, {"request", header}});
  CHECK(out.str().find("aeeed9bb") == std::string::npos);
  CHECK(out.str().find("IQoJb3Jp") == std::string::npos);
  CHECK(out.str().find("fe5f80f7") == std::string::npos);
  parsed_line line(lines_of(out.str()).at(0));
  CHECK(line.text("manifest_url") == redact_secrets(url));
}

TEST_CASE("log lines stay valid whatever the text", "[structured_log]") {
  std::ostringstream out;
  structured_log log(out, frozen_options());
  log.write(log_level::info, "multi\nline \"event\"\t", "id\x01",
            {{"bad_utf8", "caf\xE9 \xED\xA0\x80"},
             {"controls", std::string_view("\0\x1f\x7f", 3)},
             {"unicode", "Grüße 🙂"},
             {"ts", "mine"},
             {"event", "mine too"},
             {"n\xC3", 1}});
  const auto lines = lines_of(out.str());
  REQUIRE(lines.size() == 1);
  parsed_line line(lines[0]);
  CHECK(line.text("event") == "multi\nline \"event\"\t");
  CHECK(line.text("request_id") == "id\x01");
  CHECK(line.text("bad_utf8") == "caf\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(line.text("controls") == std::string("\0\x1f\x7f", 3));
  CHECK(line.text("unicode") == "Grüße 🙂");
  CHECK(line.text("ts") == "2026-04-01T12:34:56.789Z");  // reserved names are not overwritten
  CHECK(line.text("field_ts") == "mine");
  CHECK(line.text("field_event") == "mine too");
  CHECK(std::int64_t(line.doc["n\xEF\xBF\xBD"]) == 1);
}

TEST_CASE("lines from many threads never interleave", "[structured_log]") {
  std::ostringstream out;
  log_options options = frozen_options();
  options.flush_each_line = false;
  structured_log log(out, options);
  constexpr int threads = 4;
  constexpr int per_thread = 2000;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&log, t] {
      const std::string padding(static_cast<std::size_t>(50 + t * 300), static_cast<char>('a' + t));
      for (int i = 0; i < per_thread; ++i) {
        log.write(log_level::info, "tick", "", {{"thread", t}, {"seq", i}, {"padding", padding}});
      }
    });
  }
  for (auto& worker : workers) worker.join();
  const auto lines = lines_of(out.str());
  REQUIRE(lines.size() == threads * per_thread);
  CHECK(log.lines_written() == threads * per_thread);
  std::map<std::int64_t, std::int64_t> next;
  for (const auto& text : lines) {
    parsed_line line(text);
    const std::int64_t thread = line.doc["thread"];
    const std::int64_t seq = line.doc["seq"];
    REQUIRE(seq == next[thread]);  // each thread's lines in its order
    ++next[thread];
  }
}

TEST_CASE("a log can write to a C FILE stream, and write_line adds foreign lines under its lock", "[structured_log]") {
  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  {
    structured_log log(file, frozen_options(log_level::debug));
    request_logger request(log, "req-9");
    request.debug("starting", {{"page_size", 1000}});
    request.info("listed", {{"pages", 3}});
    request.warn("slow");
    request.error("failed", {{"error", "timeout"}});
    log.write_line(R"({"_aws":{"Timestamp":0},"x":1})");
    CHECK_THROWS_AS(log.write_line("two\nlines"), std::invalid_argument);
    CHECK(log.lines_written() == 5);
    CHECK(request.request_id() == "req-9");
  }
  std::rewind(file);
  std::string text;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;) text.append(buffer, n);
  std::fclose(file);
  const auto lines = lines_of(text);
  REQUIRE(lines.size() == 5);
  for (int i = 0; i < 4; ++i) CHECK(parsed_line(lines[i]).text("request_id") == "req-9");
  CHECK(parsed_line(lines[0]).text("level") == "debug");
  CHECK(parsed_line(lines[3]).text("error") == "timeout");
  CHECK(lines[4] == R"({"_aws":{"Timestamp":0},"x":1})");
  CHECK_THROWS_AS(structured_log(static_cast<std::FILE*>(nullptr)), std::invalid_argument);
}
