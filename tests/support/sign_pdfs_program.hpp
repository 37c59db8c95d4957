// Runs the sign_pdfs program as its users do, against the test radosgw:
// the tests that include this need S3CO_SIGN_PDFS_BINARY (the program's path)
// and S3CO_TEST_S3_ENV (the server's environment file), both set by CMake.
#pragma once

#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "run_command.hpp"

namespace s3co::testing {

// Runs sign_pdfs with the test radosgw's environment, then `environment`
// (assignments such as "S3_ENDPOINT_URL='not a url'"), then the arguments.
inline process_result run_sign_pdfs(const std::string& arguments, const std::string& environment = {},
                                    const std::string& input = {}) {
  const char* env_file = std::getenv("S3CO_TEST_S3_ENV");
  REQUIRE(env_file != nullptr);
  return run_process(". " + shell_quote(env_file) + " && unset BUCKET_NAME PREFIX URL_EXPIRY_SECONDS QUEUE_MAX && " +
                         environment + " " + S3CO_SIGN_PDFS_BINARY + " " + arguments,
                     input);
}

}  // namespace s3co::testing
