// Runs the sign_pdfs program as its users do, against the test radosgw:
// the tests that include this need S3CO_SIGN_PDFS_BINARY (the program's path)
// and S3CO_TEST_S3_ENV (the server's environment file), both set by CMake.
#pragma once

#include <catch2/catch.hpp>

#include <cstdlib>
#include <memory>
#include <string>

#include "background_process.hpp"
#include "run_command.hpp"

namespace s3co::testing {

// The shell command that runs sign_pdfs with the test radosgw's environment,
// then `environment` (assignments such as "S3_ENDPOINT_URL='not a url'"),
// then the arguments; for a test that redirects its output itself. The
// shell exec's the program, so the program has the shell's pid.
inline std::string sign_pdfs_command(const std::string& arguments, const std::string& environment = {}) {
  const char* env_file = std::getenv("S3CO_TEST_S3_ENV");
  REQUIRE(env_file != nullptr);
  return ". " + shell_quote(env_file) + " && unset BUCKET_NAME PREFIX URL_EXPIRY_SECONDS QUEUE_MAX && " +
         environment + " exec " + S3CO_SIGN_PDFS_BINARY + " " + arguments;
}

// Runs that command with `input` on stdin, capturing stdout and stderr.
inline process_result run_sign_pdfs(const std::string& arguments, const std::string& environment = {},
                                    const std::string& input = {}) {
  return run_process(sign_pdfs_command(arguments, environment), input);
}

// Starts that command in the background, for a test that signals it.
inline std::unique_ptr<background_process> start_sign_pdfs(const std::string& arguments,
                                                           const std::string& environment = {}) {
  return std::make_unique<background_process>(sign_pdfs_command(arguments, environment));
}

}  // namespace s3co::testing
