// A file with given contents that is removed when the test ends.
#pragma once

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace s3co::testing {

class temp_file {
 public:
  explicit temp_file(const std::string& contents) {
    std::random_device seed;
    path_ = std::filesystem::temp_directory_path() / ("s3co-test-" + std::to_string(seed()) + std::to_string(seed()));
    std::ofstream(path_, std::ios::binary) << contents;
  }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
  ~temp_file() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }

  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace s3co::testing
