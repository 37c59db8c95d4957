// A shell command run in the background, for a test that signals it while
// it works: stdout and stderr go to temporary files, read once it has ended.
//
// The command runs under `sh -c`; a command that ends by exec'ing its
// program keeps the shell's pid, so signal() reaches the program itself. Lifetime: a process still running when the
// object is destroyed is killed (SIGKILL) and reaped.
#pragma once

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "run_command.hpp"
#include "temp_file.hpp"

namespace s3co::testing {

class background_process {
 public:
  explicit background_process(const std::string& command) {
    const std::string line = command + " < /dev/null > '" + stdout_file_.path() + "' 2> '" +
                             stderr_file_.path() + "'";
    pid_ = ::fork();
    REQUIRE(pid_ != -1);
    if (pid_ == 0) {
      ::execl("/bin/sh", "sh", "-c", line.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  background_process(const background_process&) = delete;
  background_process& operator=(const background_process&) = delete;
  ~background_process() {
    if (!exited_) {
      ::kill(pid_, SIGKILL);
      int ignored = 0;
      ::waitpid(pid_, &ignored, 0);
    }
  }

  void signal(int number) const { ::kill(pid_, number); }

  // The result once the process has ended, or nullopt when it is still
  // running after `limit`.
  std::optional<process_result> wait_for(std::chrono::milliseconds limit) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > give_up) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    exited_ = true;
    // -1 for a death by a signal, as run_process: an exit status is the program's own.
    const int exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return process_result{exit_status, read(stdout_file_.path()), read(stderr_file_.path())};
  }

  // stderr so far (for a test's message while the process still runs).
  std::string err_so_far() const { return read(stderr_file_.path()); }

 private:
  static std::string read(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
  }

  temp_file stdout_file_{""};
  temp_file stderr_file_{""};
  pid_t pid_ = -1;
  bool exited_ = false;
};

}  // namespace s3co::testing
