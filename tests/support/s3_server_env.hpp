// The radosgw the integration tests run against: the CTest fixture starts it
// (scripts/s3-server) and names its env file in S3CO_TEST_S3_ENV.
#pragma once

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "s3co/aws/credentials.hpp"
#include "s3co/aws/endpoint.hpp"

namespace s3co::testing {

struct s3_server_env {
  aws::credentials credentials;
  std::string region;
  aws::s3_endpoint endpoint;
  std::string endpoint_url;
};

inline s3_server_env load_s3_server_env() {
  const char* path = std::getenv("S3CO_TEST_S3_ENV");
  INFO("S3CO_TEST_S3_ENV names the env file of the test radosgw");
  REQUIRE(path != nullptr);
  std::ifstream file(path);
  REQUIRE(file.good());
  std::map<std::string, std::string> values;
  for (std::string line; std::getline(file, line);) {
    const std::string prefix = "export ";
    if (line.rfind(prefix, 0) != 0) continue;
    const auto equals = line.find('=');
    values[line.substr(prefix.size(), equals - prefix.size())] = line.substr(equals + 1);
  }
  s3_server_env env;
  env.credentials = {values["AWS_ACCESS_KEY_ID"], values["AWS_SECRET_ACCESS_KEY"], ""};
  env.region = values["AWS_REGION"];
  env.endpoint_url = values["AWS_ENDPOINT_URL"];
  env.endpoint = aws::parse_endpoint_url(env.endpoint_url);
  return env;
}

// A bucket name no other test run uses.
inline std::string unique_bucket(const std::string& stem) {
  static std::atomic<int> counter{0};
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  return stem + "-" + std::to_string(now % 1000000007) + "-" + std::to_string(counter++);
}

}  // namespace s3co::testing
