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
  CHECK(config.queue_size == 1000);
  CHECK(config.suffix == ".pdf");
  CHECK(config.manifest_prefix == "manifests/");

  config = load_sign_pdfs_config(R"({"bucket":"b-1.x","prefix":"2026/04/","expiry_seconds":"900","page_size":10,
      "concurrency":16,"queue_size":5,"suffix":".PDF","manifest_prefix":"out/"})");
  CHECK(config.prefix == "2026/04/");
  CHECK(config.expiry == std::chrono::seconds(900));
  CHECK(config.page_size == 10);
  CHECK(config.concurrency == 16);
  CHECK(config.queue_size == 5);
  CHECK(config.suffix == ".PDF");
  CHECK(config.manifest_prefix == "out/");
  // null means absent: the default applies.
  CHECK(load_sign_pdfs_config(R"({"bucket":"my-bucket","suffix":null})").suffix == ".pdf");
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
  CHECK_NOTHROW(load_sign_pdfs_config(R"({"bucket":"abc","expiry_seconds":1,"page_size":1,"concurrency":1})"));
  CHECK_NOTHROW(
      load_sign_pdfs_config(R"({"bucket":"abc","expiry_seconds":604800,"page_size":1000,"concurrency":1024})"));
}
