#include "s3co/pipelines/sign_pdfs_config.hpp"

#include <catch2/catch.hpp>

#include "support/scoped_environment.hpp"

using namespace s3co;
using pipelines::load_sign_pdfs_config;

namespace {

void clean_environment(s3co::testing::scoped_environment& env) {
  for (const char* name : {"BUCKET_NAME", "PREFIX", "URL_EXPIRY_SECONDS", "QUEUE_MAX"}) env.clear(name);
}

// The field a bad config is blamed on.
std::string blamed_field(std::string_view event, const pipelines::config_overrides& overrides = {}) {
  try {
    load_sign_pdfs_config(event, overrides);
  } catch (const aws::config_error& error) {
    return error.field();
  }
  return "(accepted)";
}

}  // namespace

TEST_CASE("defaults, event values and their types", "[config]") {
  s3co::testing::scoped_environment env;
  clean_environment(env);
  auto config = load_sign_pdfs_config(R"({"bucket":"my-bucket"})");
  CHECK(config.bucket == "my-bucket");
  CHECK(config.prefix.empty());
  CHECK(config.expiry == std::chrono::seconds(3600));
  CHECK(config.page_size == 1000);
  CHECK(config.concurrency == 4);
  CHECK(config.list_concurrency == 8);
  CHECK(config.queue_size == 1000);
  CHECK(config.suffix == ".pdf");
  CHECK(config.manifest_prefix == "manifests/");

  config = load_sign_pdfs_config(R"({"bucket":"b-1.x","prefix":"2026/04/","expiry_seconds":"900","page_size":10,
      "concurrency":16,"list_concurrency":"32","queue_size":5,"suffix":".PDF","manifest_prefix":"out/"})");
  CHECK(config.prefix == "2026/04/");
  CHECK(config.list_concurrency == 32);
  CHECK(config.expiry == std::chrono::seconds(900));
  CHECK(config.page_size == 10);
  CHECK(config.concurrency == 16);
  CHECK(config.queue_size == 5);
  CHECK(config.suffix == ".PDF");
  CHECK(config.manifest_prefix == "out/");
  // null means absent: the default applies.
  CHECK(load_sign_pdfs_config(R"({"bucket":"my-bucket","suffix":null})").suffix == ".pdf");
}

TEST_CASE("the request timeout and the deadline: defaults, values and bad values", "[config]") {
  s3co::testing::scoped_environment env;
  clean_environment(env);
  const auto defaults = load_sign_pdfs_config(R"({"bucket":"my-bucket"})");
  CHECK(defaults.request_timeout == std::chrono::seconds(30));
  CHECK_FALSE(defaults.deadline.has_value());
  const auto given =
      load_sign_pdfs_config(R"({"bucket":"my-bucket","request_timeout_seconds":5,"deadline_seconds":"600"})");
  CHECK(given.request_timeout == std::chrono::seconds(5));
  CHECK(given.deadline == std::chrono::seconds(600));
  CHECK(load_sign_pdfs_config("", {{"bucket", "b-1"}, {"deadline_seconds", "1"}}).deadline == std::chrono::seconds(1));
  CHECK(blamed_field(R"({"bucket":"b-1","request_timeout_seconds":0})") == "request_timeout_seconds");
  CHECK(blamed_field(R"({"bucket":"b-1","request_timeout_seconds":3601})") == "request_timeout_seconds");
  CHECK(blamed_field(R"({"bucket":"b-1","deadline_seconds":-1})") == "deadline_seconds");
  CHECK(blamed_field(R"({"bucket":"b-1","deadline_seconds":604801})") == "deadline_seconds");
  CHECK(blamed_field(R"({"bucket":"b-1","deadline_seconds":"soon"})") == "deadline_seconds");
  CHECK(blamed_field("", {{"bucket", "b-1"}, {"request_timeout_seconds", "x"}}) == "request_timeout_seconds");
  pipelines::sign_pdfs_config direct = defaults;
  direct.deadline = std::chrono::seconds(0);
  CHECK_THROWS_WITH(pipelines::validate(direct), Catch::StartsWith("deadline_seconds:"));
}

TEST_CASE("a shard of a job: its range, job id and number, checked alone and together", "[config]") {
  s3co::testing::scoped_environment env;
  clean_environment(env);
  const auto shard = load_sign_pdfs_config(
      R"({"bucket":"b-1","start_after":"docs/a.pdf","end_before":"docs/m.pdf\u0000","job_id":"job-7.x_y","shard":3,"shards":"8"})");
  CHECK(shard.start_after == "docs/a.pdf");
  CHECK(shard.end_before == std::string("docs/m.pdf\0", 11));
  CHECK(shard.job_id == "job-7.x_y");
  CHECK(shard.shard == 3);
  CHECK(shard.shards == 8);
  const auto plain = load_sign_pdfs_config(R"({"bucket":"b-1"})");
  CHECK(plain.start_after.empty());
  CHECK_FALSE(plain.end_before.has_value());
  CHECK_FALSE(plain.shard.has_value());
  CHECK(load_sign_pdfs_config("", {{"bucket", "b-1"}, {"job_id", "J"}}).job_id == "J");  // a job id alone names the manifest

  CHECK(blamed_field(R"({"bucket":"b-1","start_after":"b","end_before":"a"})") == "end_before");
  CHECK(blamed_field(R"({"bucket":"b-1","start_after":"a","end_before":"a"})") == "end_before");
  CHECK(blamed_field(R"({"bucket":"b-1","end_before":""})") == "end_before");
  CHECK(blamed_field(R"({"bucket":"b-1","start_after":7})") == "start_after");
  CHECK(blamed_field(R"({"bucket":"b-1","start_after":")" + std::string(1025, 'k') + R"("})") == "start_after");
  CHECK(blamed_field(R"({"bucket":"b-1","job_id":""})") == "job_id");
  CHECK(blamed_field(R"({"bucket":"b-1","job_id":"a/b"})") == "job_id");
  CHECK(blamed_field(R"({"bucket":"b-1","job_id":".."})") == "job_id");
  CHECK(blamed_field(R"({"bucket":"b-1","job_id":")" + std::string(129, 'j') + R"("})") == "job_id");
  CHECK(blamed_field(R"({"bucket":"b-1","job_id":"j","shard":0})") == "shards");
  CHECK(blamed_field(R"({"bucket":"b-1","job_id":"j","shards":2})") == "shard");
  CHECK(blamed_field(R"({"bucket":"b-1","job_id":"j","shard":2,"shards":2})") == "shard");
  CHECK(blamed_field(R"({"bucket":"b-1","job_id":"j","shard":-1,"shards":2})") == "shard");
  CHECK(blamed_field(R"({"bucket":"b-1","job_id":"j","shard":0,"shards":10001})") == "shards");
  CHECK(blamed_field(R"({"bucket":"b-1","shard":0,"shards":2})") == "job_id");
  CHECK(blamed_field(R"({"bucket":"b-1","job_id":"j","shard":9999,"shards":10000})") == "(accepted)");
}

TEST_CASE("a plan and a combine: their counts and job ids, and the fields they refuse", "[config]") {
  s3co::testing::scoped_environment env;
  clean_environment(env);
  CHECK(load_sign_pdfs_config(R"({"bucket":"b-1","plan":8,"job_id":"j"})").plan == 8);
  CHECK(load_sign_pdfs_config(R"({"bucket":"b-1","plan":"10000","start_after":"a"})").plan == 10000);
  CHECK(load_sign_pdfs_config(R"({"bucket":"b-1","combine":"job-1"})").combine == "job-1");
  CHECK(load_sign_pdfs_config("", {{"bucket", "b-1"}, {"plan", "3"}}).plan == 3);
  CHECK(blamed_field(R"({"bucket":"b-1","plan":0})") == "plan");
  CHECK(blamed_field(R"({"bucket":"b-1","plan":10001})") == "plan");
  CHECK(blamed_field(R"({"bucket":"b-1","plan":"x"})") == "plan");
  CHECK(blamed_field(R"({"bucket":"b-1","plan":2,"job_id":"j","shard":0,"shards":2})") == "shard");
  CHECK(blamed_field(R"({"bucket":"b-1","plan":2,"combine":"j"})") == "combine");
  CHECK(blamed_field(R"({"bucket":"b-1","combine":""})") == "combine");
  CHECK(blamed_field(R"({"bucket":"b-1","combine":"a/b"})") == "combine");
  CHECK(blamed_field(R"({"bucket":"b-1","combine":3})") == "combine");
  CHECK(blamed_field(R"({"bucket":"b-1","combine":"j","start_after":"a"})") == "start_after");
  CHECK(blamed_field(R"({"bucket":"b-1","combine":"j","end_before":"a"})") == "end_before");
  CHECK(blamed_field(R"({"bucket":"b-1","combine":"j","job_id":"j"})") == "job_id");
  CHECK(blamed_field(R"({"bucket":"b-1","combine":"j","job_id":"j","shard":0,"shards":1})") == "shard");
  CHECK(blamed_field(R"({"combine":"j"})") == "bucket");
}

TEST_CASE("flags beat the event, the event beats the environment", "[config]") {
  s3co::testing::scoped_environment env;
  clean_environment(env);
  env.set("BUCKET_NAME", "env-bucket").set("PREFIX", "env/").set("URL_EXPIRY_SECONDS", "60").set("QUEUE_MAX", "7");
  auto config = load_sign_pdfs_config("");
  CHECK(config.bucket == "env-bucket");
  CHECK(config.prefix == "env/");
  CHECK(config.expiry == std::chrono::seconds(60));
  CHECK(config.queue_size == 7);
  config = load_sign_pdfs_config(R"({"bucket":"event-bucket","expiry_seconds":120})");
  CHECK(config.bucket == "event-bucket");
  CHECK(config.prefix == "env/");
  CHECK(config.expiry == std::chrono::seconds(120));
  config = load_sign_pdfs_config(R"({"bucket":"event-bucket"})", {{"bucket", "flag-bucket"}, {"prefix", ""}});
  CHECK(config.bucket == "flag-bucket");
  CHECK(config.prefix.empty());
}

TEST_CASE("every bad value names its field", "[config]") {
  s3co::testing::scoped_environment env;
  clean_environment(env);
  CHECK(blamed_field("{}") == "bucket");
  CHECK(blamed_field("") == "bucket");
  CHECK(blamed_field(R"({"bucket":"Bad_Bucket"})") == "bucket");
  CHECK(blamed_field(R"({"bucket":"ok-bucket","expiry_seconds":0})") == "expiry_seconds");
  CHECK(blamed_field(R"({"bucket":"ok-bucket","expiry_seconds":604801})") == "expiry_seconds");
  CHECK(blamed_field(R"({"bucket":"ok-bucket","expiry_seconds":"soon"})") == "expiry_seconds");
  CHECK(blamed_field(R"({"bucket":"ok-bucket","expiry_seconds":1.5})") == "expiry_seconds");
  CHECK(blamed_field(R"({"bucket":"ok-bucket","page_size":0})") == "page_size");
  CHECK(blamed_field(R"({"bucket":"ok-bucket","page_size":1001})") == "page_size");
  CHECK(blamed_field(R"({"bucket":"ok-bucket","concurrency":0})") == "concurrency");
  CHECK(blamed_field(R"({"bucket":"ok-bucket","concurrency":"-3"})") == "concurrency");
  CHECK(blamed_field(R"({"bucket":"ok-bucket","list_concurrency":0})") == "list_concurrency");
  CHECK(blamed_field(R"({"bucket":"ok-bucket","list_concurrency":65})") == "list_concurrency");
  CHECK(blamed_field(R"({"bucket":"ok-bucket","queue_size":0})") == "queue_size");
  CHECK(blamed_field(R"({"bucket":"ok-bucket","suffix":""})") == "suffix");
  CHECK(blamed_field(R"({"bucket":"ok-bucket","colour":"blue"})") == "colour");
  CHECK(blamed_field(R"({"bucket":"ok-bucket","page_size":[1]})") == "page_size");
  CHECK(blamed_field(R"({"bucket":"ok-bucket",)") == "event");
  CHECK(blamed_field(R"({"bucket":"ok-bucket","prefix":"a","prefix":"b"})") == "prefix");
  CHECK(blamed_field(R"(["bucket"])") == "event");
  CHECK(blamed_field(R"({"":"c","bucket":"ok-bucket"})") == "event");  // found by fuzzing
  CHECK(blamed_field(R"({"bucket":"ok-bucket"})", {{"page_size", "ten"}}) == "page_size");
  env.set("URL_EXPIRY_SECONDS", "forever");
  CHECK(blamed_field(R"({"bucket":"ok-bucket"})") == "URL_EXPIRY_SECONDS");
  env.set("URL_EXPIRY_SECONDS", "60").set("QUEUE_MAX", "0");
  CHECK(blamed_field(R"({"bucket":"ok-bucket"})") == "QUEUE_MAX");
}

TEST_CASE("bounds are inclusive", "[config]") {
  s3co::testing::scoped_environment env;
  clean_environment(env);
  CHECK_NOTHROW(load_sign_pdfs_config(
      R"({"bucket":"abc","expiry_seconds":1,"page_size":1,"concurrency":1,"list_concurrency":1})"));
  CHECK_NOTHROW(load_sign_pdfs_config(
      R"({"bucket":"abc","expiry_seconds":604800,"page_size":1000,"concurrency":1024,"list_concurrency":64})"));
}

TEST_CASE("a field given twice is refused, null or not, in either order", "[config]") {
  s3co::testing::scoped_environment env;
  clean_environment(env);
  CHECK(blamed_field(R"({"bucket":null,"bucket":"adv"})") == "bucket");
  CHECK(blamed_field(R"({"bucket":"adv","bucket":null})") == "bucket");
  CHECK(blamed_field(R"({"bucket":"adv","suffix":null,"suffix":null})") == "suffix");
  CHECK(blamed_field(R"({"bucket":"adv","page_size":null,"page_size":5})") == "page_size");
}

TEST_CASE("text fields must be JSON strings, numbers integers or strings of digits", "[config]") {
  s3co::testing::scoped_environment env;
  clean_environment(env);
  CHECK(blamed_field(R"({"bucket":123})") == "bucket");
  CHECK(blamed_field(R"({"bucket":"adv","suffix":123})") == "suffix");
  CHECK(blamed_field(R"({"bucket":"adv","prefix":7})") == "prefix");
  CHECK(blamed_field(R"({"bucket":"adv","manifest_prefix":true})") == "manifest_prefix");
  CHECK(blamed_field(R"({"bucket":"adv","prefix":["a/"]})") == "prefix");
  CHECK(load_sign_pdfs_config(R"({"bucket":"adv","page_size":"10","concurrency":3})").page_size == 10);
}

TEST_CASE("numbers nobody can read name their field", "[config]") {
  s3co::testing::scoped_environment env;
  clean_environment(env);
  CHECK(blamed_field(R"({"bucket":"adv","page_size":1e400})") == "page_size");
  CHECK(blamed_field(R"({"bucket":"adv","expiry_seconds":18446744073709551616})") == "expiry_seconds");
  CHECK(blamed_field(R"({"bucket":"adv","concurrency":9223372036854775808})") == "concurrency");
  CHECK(blamed_field(R"({"bucket":"adv","queue_size":-9223372036854775809})") == "queue_size");
  CHECK(blamed_field(R"({"bucket":"adv","page_size":"18446744073709551616"})") == "page_size");
  CHECK(blamed_field(R"({"bucket":"adv","bucket2":1e400})") == "bucket2");
  CHECK_THROWS_WITH(load_sign_pdfs_config(R"({"bucket":"adv","page_size":"99999999999999999999"})"),
                    Catch::Contains("page_size") && Catch::Contains("too large"));
  // Still the whole event when it is not JSON at all.
  CHECK(blamed_field(R"({"bucket":"adv","page_size":1e400)") == "event");
}

TEST_CASE("text is valid UTF-8 from every source", "[config]") {
  s3co::testing::scoped_environment env;
  clean_environment(env);
  const std::string invalid = "in\xff/";
  CHECK(blamed_field(R"({"bucket":"adv"})", {{"prefix", invalid}}) == "prefix");
  CHECK(blamed_field(R"({"bucket":"adv"})", {{"suffix", "\xc3"}}) == "suffix");
  CHECK(blamed_field("{\"bucket\":\"adv\",\"prefix\":\"in\xff/\"}") == "event");
  env.set("PREFIX", invalid);
  CHECK(blamed_field(R"({"bucket":"adv"})") == "PREFIX");
  CHECK_THROWS_WITH(load_sign_pdfs_config(R"({"bucket":"adv"})"), "PREFIX: is not valid UTF-8");
  env.set("PREFIX", "in\xc3\xa9/");  // é is fine
  CHECK(load_sign_pdfs_config(R"({"bucket":"adv"})").prefix == "in\xc3\xa9/");
}

TEST_CASE("a NUL in a value is shown escaped, with the rest of the message", "[config]") {
  s3co::testing::scoped_environment env;
  clean_environment(env);
  CHECK_THROWS_WITH(load_sign_pdfs_config(R"({"bucket":"ab\u0000cd"})"),
                    "bucket: 'ab\\u0000cd' may hold only lower-case letters, digits, '.' and '-'");
  CHECK_THROWS_WITH(load_sign_pdfs_config(R"({"bucket":"adv","page_size":"1\u00002"})"),
                    "page_size: '1\\u00002' is not a whole number");
  CHECK_THROWS_WITH(load_sign_pdfs_config(R"({"bucket":"adv","col\u0000our":1})"),
                    Catch::StartsWith("col\\u0000our: is not a field of the event"));
}
