// credential_process: a profile's command that prints credentials, as the
// AWS CLI and SDKs run it.
//
//   [profile build]
//   credential_process = /usr/local/bin/get-creds --role build
//
// - The command runs through /bin/sh -c (as the JS SDK runs it), with the
//   process's environment; its stdout must be one JSON object:
//   {"Version":1,"AccessKeyId","SecretAccessKey","SessionToken","Expiration"}
//   (Expiration optional: without it the credentials never expire).
// - Bounded: the command is killed after `timeout`, and more than
//   `max_output` bytes on stdout are an error. Its stderr is the caller's
//   stderr, so what it says there reaches the user.
// - A failure names the profile and the exit status or signal, never the
//   output (it may hold the secret).
//
// Blocking: the call waits for the process (the refresh runs on its own
// thread; the first resolution blocks its caller for this long).
#pragma once

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "s3co/aws/credentials.hpp"
#include "s3co/credentials/credentials_json.hpp"
#include "s3co/credentials/provider_error.hpp"

extern char** environ;

namespace s3co::credentials {

struct process_limits {
  std::chrono::milliseconds timeout{60'000};
  std::size_t max_output = 64 * 1024;
};

// Runs `command` for `profile` and reads its credentials.
aws::credentials run_credential_process(const std::string& command, const std::string& profile,
                                        process_limits limits = process_limits());

// ---------------------------------------------------------------------------

namespace detail {

// The child's stdout, read until it closes or the deadline passes.
struct process_outcome {
  std::string output;
  bool timed_out = false;
  bool output_too_large = false;
  int wait_status = 0;
};

inline process_outcome run_and_capture(const std::string& command, const std::string& provider,
                                       process_limits limits) {
  int pipe_ends[2];
  if (::pipe2(pipe_ends, O_CLOEXEC) != 0) throw provider_error(provider, "cannot create a pipe for credential_process");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_ends[1], STDOUT_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  // Its own process group, so a timeout ends the command's children too.
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  pid_t child = 0;
  const int spawned = ::posix_spawn(&child, "/bin/sh", &actions, &attributes, const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  ::close(pipe_ends[1]);
  if (spawned != 0) {
    ::close(pipe_ends[0]);
    throw provider_error(provider, "credential_process cannot be started: " + std::string(std::strerror(spawned)));
  }
  process_outcome outcome;
  const auto deadline = std::chrono::steady_clock::now() + limits.timeout;
  char buffer[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      outcome.timed_out = true;
      break;
    }
    pollfd readable{pipe_ends[0], POLLIN, 0};
    const int ready = ::poll(&readable, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) continue;  // the deadline check above ends the wait
    const ssize_t got = ::read(pipe_ends[0], buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    outcome.output.append(buffer, static_cast<std::size_t>(got));
    if (outcome.output.size() > limits.max_output) {
      outcome.output_too_large = true;
      break;
    }
  }
  ::close(pipe_ends[0]);
  if (outcome.timed_out || outcome.output_too_large) ::kill(-child, SIGKILL);
  while (::waitpid(child, &outcome.wait_status, 0) < 0 && errno == EINTR) {
  }
  return outcome;
}

}  // namespace detail

inline aws::credentials run_credential_process(const std::string& command, const std::string& profile,
                                               process_limits limits) {
  const std::string provider = "credential_process of profile " + profile;
  detail::process_outcome outcome = detail::run_and_capture(command, provider, limits);
  if (outcome.timed_out) {
    throw provider_error(provider, "did not finish within " + std::to_string(limits.timeout.count()) + " ms (killed)");
  }
  if (outcome.output_too_large) {
    throw provider_error(provider, "wrote more than " + std::to_string(limits.max_output) + " bytes (killed)");
  }
  if (WIFSIGNALED(outcome.wait_status)) {
    throw provider_error(provider, "was ended by signal " + std::to_string(WTERMSIG(outcome.wait_status)));
  }
  const int status = WIFEXITED(outcome.wait_status) ? WEXITSTATUS(outcome.wait_status) : -1;
  if (status != 0) throw provider_error(provider, "exited with status " + std::to_string(status));
  const auto members = parse_flat_json_object(outcome.output);
  if (!members) throw provider_error(provider, "its output is not a JSON object");
  const auto version = members->find("Version");
  if (version == members->end()) throw provider_error(provider, "its output has no Version");
  if (version->second != "1") throw provider_error(provider, "its output has Version " + quote_error_body(version->second) + ", not 1");
  return credentials_from_json(outcome.output, provider, {.session_token = "SessionToken"}, false);
}

}  // namespace s3co::credentials
