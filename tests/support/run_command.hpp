// Runs a shell command for a test, feeding `input` to its stdin and returning
// its stdout; a non-zero exit fails the test with the command's stderr.
#pragma once

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "temp_file.hpp"

namespace s3co::testing {

inline std::string run_command(const std::string& command, const std::string& input = {}) {
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
  INFO("command: " << command << "\nstderr:\n" << read(stderr_file.path()));
  REQUIRE(status == 0);
  return read(stdout_file.path());
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  return lines;
}

}  // namespace s3co::testing
