// sign_pdfs on temporary credentials that outlive nothing: a
// credential_process hands out radosgw's real test keys with a 3 s
// Expiration, and a run of more than 10 s (a slow server, page size 10)
// must refresh them throughout, with every request verified by radosgw.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

#include <simdjson.h>

#include "support/fault_proxy.hpp"
#include "support/json_fields.hpp"
#include "support/run_command.hpp"
#include "support/sign_pdfs_program.hpp"
#include "support/temp_file.hpp"
#include "support/test_bucket.hpp"

using namespace s3co;
using s3co::testing::shell_quote;

TEST_CASE("sign_pdfs with credentials from a credential_process that expire every 3 s: refreshed through a 10 s run",
          "[pipeline][cli][credentials]") {
  s3co::testing::test_bucket f("sign-pdfs-refresh");
  std::vector<std::string> keys;
  for (int i = 0; i < 1000; ++i) keys.push_back("in/" + std::to_string(10000 + i) + ".pdf");
  f.seed(keys, "%PDF");

  // Every request reaches radosgw 100 ms late: 100 pages of 10 keys take over 10 s.
  s3co::testing::fault_proxy proxy(f.env.endpoint.host, f.env.endpoint.port.value_or(80));
  proxy.set_faults([](const s3co::testing::proxied_request&) { return s3co::testing::proxy_fault::delay; });

  const s3co::testing::temp_file calls("");
  const s3co::testing::temp_file helper(
      "echo call >> " + shell_quote(calls.path()) + "\n"
      "printf '{\"Version\":1,\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"%s\",\"Expiration\":\"%s\"}' " +
      shell_quote(f.env.credentials.access_key_id) + " " + shell_quote(f.env.credentials.secret_access_key) +
      " \"$(date -u -d '+3 seconds' +%Y-%m-%dT%H:%M:%SZ)\"\n");
  const s3co::testing::temp_file config("[profile radosgw]\ncredential_process = sh " + helper.path() + "\n");
  // No keys in the environment: the profile's process is the only source.
  const std::string environment = "AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= AWS_SESSION_TOKEN= "
                                  "AWS_SHARED_CREDENTIALS_FILE= HOME=/nonexistent AWS_EC2_METADATA_DISABLED=true "
                                  "AWS_PROFILE=radosgw AWS_CONFIG_FILE=" + shell_quote(config.path()) +
                                  " S3_ENDPOINT_URL=" + shell_quote(proxy.endpoint_url());
  const auto run = s3co::testing::run_sign_pdfs(
      "--bucket " + f.bucket + " --prefix in/ --page-size 10 --list-concurrency 1 --expiry-seconds 600", environment);
  INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
  REQUIRE(run.exit_status == 0);

  simdjson::dom::parser parser;
  const auto result = s3co::testing::parse_object(parser, run.out);
  CHECK(s3co::testing::number_field(result, "count") == 1000);
  const auto duration_ms = s3co::testing::number_field(result, "duration_ms");
  CHECK(duration_ms >= 10'000);
  CHECK(run.err.find("\"identity_source\":\"credential_process (profile radosgw)\"") != std::string::npos);

  // Called at the start, then again within each 3 s life.
  std::ifstream call_log(calls.path());
  std::size_t call_count = 0;
  for (std::string line; std::getline(call_log, line);) ++call_count;
  INFO("credential_process calls: " << call_count << " over " << duration_ms << " ms");
  CHECK(call_count >= 1 + static_cast<std::size_t>(duration_ms / 3000));

  // radosgw verified every request (a bad signature fails the run); the URLs work too.
  const std::string manifest =
      s3co::testing::run_command("curl -sS --fail " + shell_quote(s3co::testing::string_field(result, "manifest_url")));
  const auto lines = s3co::testing::lines_of(manifest);
  REQUIRE(lines.size() == 1000);
  simdjson::dom::parser line_parser;
  for (std::size_t i = 0; i < lines.size(); i += 97) {
    const std::string url = s3co::testing::string_field(s3co::testing::parse_object(line_parser, lines[i]), "url");
    CHECK(s3co::testing::run_command("curl -sS --fail " + shell_quote(url)) == "%PDF");
  }
}
