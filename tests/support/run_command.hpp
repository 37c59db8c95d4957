// Runs a shell command for a test, feeding `input` to its stdin, and returns
// its stdout (run_command, which fails the test on a non-zero exit) or its
// exit status, stdout and stderr (run_process).
#pragma once

#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "temp_file.hpp"

namespace s3co::testing {

// Quoted for sh: the whole value in single quotes.
inline std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (const char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

struct process_result {
  int exit_status = -1;
  std::string out;
  std::string err;
};

inline process_result run_process(const std::string& command, const std::string& input = {}) {
  const temp_file stdin_file(input);
  const temp_file stdout_file("");
  const temp_file stderr_file("");
  const std::string line =
      command + " < '" + stdin_file.path() + "' > '" + stdout_file.path() + "' 2> '" + stderr_file.path() + "'";
  const int status = std::system(line.c_str());
  const auto read = [](const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
  };
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read(stdout_file.path()), read(stderr_file.path())};
}

inline std::string run_command(const std::string& command, const std::string& input = {}) {
  const process_result result = run_process(command, input);
  INFO("command: " << command << "\nstderr:\n" << result.err);
  REQUIRE(result.exit_status == 0);
  return result.out;
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  return lines;
}

}  // namespace s3co::testing
