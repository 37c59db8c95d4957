// include/s3co/credentials/credential_process.hpp, with small shell
// commands standing in for credential helpers.
#include "s3co/credentials/credential_process.hpp"

#include <catch2/catch.hpp>

#include "support/credential_servers.hpp"
#include "support/error_message.hpp"
#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include "support/temp_file.hpp"

using namespace s3co;
using namespace std::chrono_literals;

namespace {

std::string failure_of(const std::string& command, credentials::process_limits limits = {}) {
  const std::string message = testing::message_of<credentials::provider_error>(
      [&] { credentials::run_credential_process(command, "build", limits); }, {"process-secret"});
  CHECK_THAT(message, Catch::StartsWith("credential_process of profile build: "));
  return message;
}

}  // namespace

TEST_CASE("credential_process: Version 1 output with an Expiration", "[credentials][process]") {
  const std::string expiration = testing::iso8601(std::chrono::system_clock::now() + 1h);
  const testing::temp_file script(
      "cat <<'JSON'\n{\"Version\": 1, \"AccessKeyId\": \"ASIAPROCESS\", \"SecretAccessKey\": \"process-secret\",\n"
      " \"SessionToken\": \"process-token\", \"Expiration\": \"" + expiration + "\"}\nJSON\n");
  const aws::credentials creds = credentials::run_credential_process("sh " + script.path(), "build");
  CHECK(creds.access_key_id == "ASIAPROCESS");
  CHECK(creds.secret_access_key == "process-secret");
  CHECK(creds.session_token == "process-token");
  REQUIRE(creds.expiration.has_value());
  CHECK(testing::iso8601(*creds.expiration) == expiration);

  // Without Expiration they do not expire; +00:00 is read as UTC.
  const aws::credentials lasting = credentials::run_credential_process(
      "echo '{\"Version\":1,\"AccessKeyId\":\"AKIDP\",\"SecretAccessKey\":\"process-secret\"}'", "build");
  CHECK_FALSE(lasting.expiration.has_value());
  const aws::credentials offset = credentials::run_credential_process(
      "echo '{\"Version\":1,\"AccessKeyId\":\"AKIDP\",\"SecretAccessKey\":\"s\",\"Expiration\":"
      "\"2030-01-02T03:04:05+00:00\"}'",
      "build");
  CHECK(testing::iso8601(*offset.expiration) == "2030-01-02T03:04:05Z");
}

TEST_CASE("credential_process: failures name the profile and the exit status", "[credentials][process]") {
  CHECK_THAT(failure_of("echo process-secret; echo 'no such role' >&2; exit 3"),
             Catch::EndsWith("exited with status 3"));
  CHECK_THAT(failure_of("kill -TERM $$"), Catch::Contains("ended by signal 15"));
  CHECK_THAT(failure_of("echo '{\"Version\":2,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"process-secret\"}'"),
             Catch::Contains("Version 2, not 1"));
  CHECK_THAT(failure_of("echo '{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"process-secret\"}'"),
             Catch::Contains("no Version"));
  CHECK_THAT(failure_of("echo 'process-secret is not json'"), Catch::Contains("not a JSON object"));
  CHECK_THAT(failure_of("echo '{\"Version\":1,\"SecretAccessKey\":\"process-secret\"}'"), Catch::Contains("no AccessKeyId"));
}

TEST_CASE("credential_process: bounded in time and in output", "[credentials][process]") {
  const auto started = std::chrono::steady_clock::now();
  // The child's child holds stdout too: the whole process group is ended.
  CHECK_THAT(failure_of("sleep 30 & sleep 30", {.timeout = 300ms}), Catch::Contains("did not finish within 300 ms"));
  CHECK(std::chrono::steady_clock::now() - started < 5s);
  CHECK_THAT(failure_of("yes process-secret", {.timeout = 10s, .max_output = 4096}),
             Catch::Contains("more than 4096 bytes"));
}

TEST_CASE("credential_process: its stderr reaches the caller's stderr", "[credentials][process]") {
  // This process's fd 2 goes to a file for the call; the helper writes there.
  const testing::temp_file captured("");
  const int saved = ::dup(STDERR_FILENO);
  const int file = ::open(captured.path().c_str(), O_WRONLY | O_TRUNC);
  ::dup2(file, STDERR_FILENO);
  ::close(file);
  const aws::credentials creds = credentials::run_credential_process(
      "echo helper says hello >&2; echo '{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\"}'", "build");
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  CHECK(creds.access_key_id == "A");
  std::ifstream in(captured.path());
  std::string line;
  std::getline(in, line);
  CHECK(line == "helper says hello");
}
