// sign_pdfs: presign every PDF under an S3 prefix into a JSONL manifest.
//
//   sign_pdfs [--bucket B] [--prefix P] [--expiry-seconds N] [--page-size N]
//             [--concurrency N] [--list-concurrency N] [--request-timeout-seconds N]
//             [--deadline-seconds N] [--start-after KEY] [--end-before KEY]
//             [--job-id ID] [--shard I --shards N] [--presign-threads N] [--event FILE|-]
//   sign_pdfs plan --shards N [--array] [the run's flags]
//   sign_pdfs combine --job-id ID [--bucket B] [--expiry-seconds N] [--event FILE|-]
//
// `plan` lists the prefix and prints N shard events for a job (the event
// field `plan`): one JSON per line, or with --array one JSON array (a Map
// state's items). Each runs as `sign_pdfs --event FILE` anywhere, and writes
// manifests/<job_id>/shard-<i>.jsonl. `combine` (the event field `combine`)
// joins a job's shard manifests into manifests/<job_id>.jsonl and prints a
// run's result (s3co/pipelines/sign_pdfs_jobs.hpp).
//
// Flags beat the event's fields, which beat the environment (BUCKET_NAME,
// PREFIX, URL_EXPIRY_SECONDS, QUEUE_MAX). An event (a file, or stdin for `-`)
// is at most 1 MiB; a larger one, or one that cannot be read, is bad input
// naming `--event`. The result JSON goes to stdout on one line; structured
// logs and the EMF line go to stderr, with a progress line when stderr is a
// terminal. Bad input prints the handler's 400 body ({"error":…,"field":…})
// on stdout and a log line on stderr, with the usage for a bad flag. Exit
// status: 0 done, 2 bad input (the message names the field), 1 the run
// failed or its result could not be written to stdout (a "result_write_failed"
// log line says why; the manifest of a completed run stays in S3), 128 + N
// when signal N (SIGINT 130, SIGHUP 129, SIGTERM 143) cancelled the run.
//
// A first SIGINT, SIGTERM or SIGHUP cancels the run as a failure does: the
// manifest upload is aborted, a `failed` line says "cancelled by SIGINT",
// and the program exits with 128 + N once the clean-up is done, or after
// cleanup_limit in any case. A second signal exits at once.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "s3co/detail/heap.hpp"
#include "s3co/pipelines/sign_pdfs_handler.hpp"

namespace {

constexpr std::string_view usage =
    "usage: sign_pdfs [--bucket B] [--prefix P] [--expiry-seconds N] [--page-size N] [--concurrency N] "
    "[--list-concurrency N] [--request-timeout-seconds N] [--deadline-seconds N] [--start-after KEY] "
    "[--end-before KEY] [--job-id ID] [--shard I --shards N] [--presign-threads N] [--event FILE|-]\n"
    "       sign_pdfs plan --shards N [--array] [the flags above]\n"
    "       sign_pdfs combine --job-id ID [--bucket B] [--expiry-seconds N] [--event FILE|-]\n";

// After a cancelling signal, how long the clean-up may take before the
// program exits anyway: the abort's own bound (5 s) and a final request in
// flight, with room to spare.
constexpr std::chrono::seconds cleanup_limit{15};

// Larger than any event a user writes; it bounds what `--event /dev/zero` costs.
constexpr std::size_t max_event_bytes = 1 << 20;

struct command_line {
  s3co::pipelines::config_overrides overrides;
  std::string event;
  bool plan_as_array = false;
  int presign_threads = 0;  // 0: presign on the run's own thread
};

// Threads of their own for presigning (the rest of the run keeps one): more
// than the machine's cores only adds switching.
constexpr std::int64_t max_presign_threads = 64;

// The event, read in chunks into a buffer reserved once at the limit (so no
// growth allocates beyond it); more than the limit, or a read error (a
// directory), is a config_error naming --event.
std::string read_event(const std::string& source) {
  using s3co::aws::config_error;
  const auto close_unless_stdin = [](std::FILE* file) {
    if (file != stdin) std::fclose(file);
  };
  const std::unique_ptr<std::FILE, decltype(close_unless_stdin)> file(
      source == "-" ? stdin : std::fopen(source.c_str(), "rb"), close_unless_stdin);
  const auto cannot_read = [&] {
    return config_error("--event", "cannot read '" + source + "' (" + std::strerror(errno) + ")");
  };
  if (!file) throw cannot_read();
  std::string event;
  event.reserve(max_event_bytes);
  char chunk[64 * 1024];
  while (true) {
    const std::size_t got = std::fread(chunk, 1, sizeof chunk, file.get());
    if (got > max_event_bytes - event.size()) throw config_error("--event", "is larger than 1 MiB");
    event.append(chunk, got);
    if (got < sizeof chunk) break;
  }
  if (std::ferror(file.get())) throw cannot_read();
  return event;
}

command_line parse_command_line(int argc, char** argv) {
  using s3co::aws::config_error;
  static const std::pair<std::string_view, std::string_view> flag_fields[] = {
      {"--bucket", "bucket"},         {"--prefix", "prefix"},           {"--expiry-seconds", "expiry_seconds"},
      {"--page-size", "page_size"},   {"--concurrency", "concurrency"},       {"--list-concurrency", "list_concurrency"},
      {"--request-timeout-seconds", "request_timeout_seconds"},
      {"--deadline-seconds", "deadline_seconds"},
      {"--start-after", "start_after"},
      {"--end-before", "end_before"},
      {"--job-id", "job_id"},
      {"--shard", "shard"},
      {"--shards", "shards"},
  };
  command_line parsed;
  // A subcommand renames the flag that carries its one value.
  const std::string_view subcommand = argc > 1 ? std::string_view(argv[1]) : std::string_view();
  const bool plan = subcommand == "plan";
  const bool combine = subcommand == "combine";
  for (int i = plan || combine ? 2 : 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << usage;
      std::exit(0);
    }
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw config_error(std::string(arg), "needs a value");
      return argv[++i];
    };
    if (arg == "--event") {
      parsed.event = read_event(value());
      continue;
    }
    if (arg == "--presign-threads") {
      using namespace s3co::pipelines::detail;
      parsed.presign_threads =
          static_cast<int>(in_range(parse_count(value(), "--presign-threads"), 0, max_presign_threads, "--presign-threads"));
      continue;
    }
    if (plan && arg == "--array") {
      parsed.plan_as_array = true;
      continue;
    }
    if ((plan && arg == "--shards") || (combine && arg == "--job-id")) {
      parsed.overrides[plan ? "plan" : "combine"] = value();
      continue;
    }
    bool known = false;
    for (const auto& [flag, field] : flag_fields) {
      if (arg == flag) {
        parsed.overrides[std::string(field)] = value();
        known = true;
      }
    }
    if (!known) {
      throw config_error(s3co::aws::detail::printable_in_message(arg), "is not an option of sign_pdfs");
    }
  }
  if (plan && !parsed.overrides.contains("plan")) throw config_error("--shards", "is required by sign_pdfs plan");
  if (combine && !parsed.overrides.contains("combine")) {
    throw config_error("--job-id", "is required by sign_pdfs combine (the job whose shards to combine)");
  }
  return parsed;
}

// Writes `line` and a newline to stdout and flushes; false when any of it
// did not get through (a full disk, a closed pipe).
bool write_stdout_line(std::string line) {
  line.push_back('\n');
  const bool written = std::fwrite(line.data(), 1, line.size(), stdout) == line.size();
  return std::fflush(stdout) == 0 && written;
}

// A standard descriptor the caller closed (`>&-`) would be taken by the next
// socket or file opened, and the result or logs would go there: hold each
// with /dev/null. Returns whether stdout was closed.
bool hold_closed_standard_descriptors() {
  bool stdout_was_closed = false;
  for (const int descriptor : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) {
    if (::fcntl(descriptor, F_GETFD) != -1 || errno != EBADF) continue;
    if (descriptor == STDOUT_FILENO) stdout_was_closed = true;
    const int held = ::open("/dev/null", descriptor == STDIN_FILENO ? O_RDONLY : O_WRONLY);
    if (held != descriptor && held != -1) {
      ::dup2(held, descriptor);
      ::close(held);
    }
  }
  return stdout_was_closed;
}

// Redraws "listed N, presigned M, B bytes" on stderr until stopped.
class progress_line {
 public:
  explicit progress_line(const s3co::pipelines::sign_pdfs_progress& progress)
      : progress_(progress), thread_([this] { draw_until_stopped(); }) {}
  ~progress_line() {
    {
      std::lock_guard lock(mutex_);
      stopped_ = true;
    }
    wake_.notify_all();
    thread_.join();
    std::fputs("\r\033[K", stderr);
  }

 private:
  void draw_until_stopped() {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, std::chrono::milliseconds(200), [this] { return stopped_; })) {
      std::fprintf(stderr, "\r\033[Klisted %llu keys (%llu pages, %llu ranges), presigned %llu, manifest %llu bytes",
                   static_cast<unsigned long long>(progress_.keys_listed.load()),
                   static_cast<unsigned long long>(progress_.list_pages.load()),
                   static_cast<unsigned long long>(progress_.list_chains.load()),
                   static_cast<unsigned long long>(progress_.presigned.load()),
                   static_cast<unsigned long long>(progress_.bytes_written.load()));
      std::fflush(stderr);
    }
  }

  const s3co::pipelines::sign_pdfs_progress& progress_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopped_ = false;
  std::thread thread_;
};

// The first signal leaves the clean-up cleanup_limit, the second ends the
// process at once; both exit as shells expect of a death by that signal.
void on_cancelling_signal(s3co::telemetry::structured_log& log, int signal, int count) {
  if (count > 1) ::_exit(128 + signal);
  std::thread([&log, signal] {
    std::this_thread::sleep_for(cleanup_limit);
    log.write(s3co::telemetry::log_level::error, "cleanup_timed_out", s3co::pipelines::random_uuid(),
              {{"error", "cancelled by " + s3co::pipelines::detail::signal_name(signal) +
                             "; the clean-up did not finish in time"},
               {"cleanup_limit_seconds", cleanup_limit.count()}});
    ::_exit(128 + signal);
  }).detach();
}

}  // namespace

int main(int argc, char** argv) {
  s3co::detail::keep_freed_heap_for_reuse();
  // A closed pipe on stdout becomes a write error reported below, not death by SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  const bool stdout_was_closed = hold_closed_standard_descriptors();
  s3co::telemetry::structured_log log(stderr);

  command_line parsed;
  try {
    parsed = parse_command_line(argc, argv);
  } catch (const s3co::aws::config_error& error) {
    // The shapes the handler gives any other bad input.
    log.write(s3co::telemetry::log_level::error, "invalid_input", s3co::pipelines::random_uuid(),
              {{"field", error.field()}, {"error", std::string_view(error.what())}});
    std::fputs(usage.data(), stderr);
    (void)write_stdout_line(s3co::pipelines::detail::error_body(error.what(), error.field()));
    return 2;
  }

  s3co::pipelines::sign_pdfs_progress progress;
  s3co::pipelines::handler_options options;
  options.log = &log;
  options.progress = &progress;
  options.presign_threads = parsed.presign_threads;
  options.cancel_signals = {SIGINT, SIGTERM, SIGHUP};
  options.on_signal = [&log](int signal, int count) { on_cancelling_signal(log, signal, count); };
  s3co::pipelines::handler_response response;
  {
    std::optional<progress_line> display;
    if (::isatty(STDERR_FILENO)) display.emplace(progress);
    response = s3co::pipelines::handle_sign_pdfs(parsed.event, parsed.overrides, options);
  }
  const int status = response.cancelled_by != 0         ? 128 + response.cancelled_by
                     : response.status_code == 200 ? 0
                     : response.status_code == 400 ? 2
                                                   : 1;
  errno = 0;
  // A plan prints its shard events: one per line, or one array.
  std::string output = response.body;
  if (response.status_code == 200 && !response.shard_events.empty()) {
    output = parsed.plan_as_array ? "[" : "";
    for (std::size_t i = 0; i < response.shard_events.size(); ++i) {
      if (i > 0) output.append(parsed.plan_as_array ? "," : "\n");
      output.append(response.shard_events[i]);
    }
    if (parsed.plan_as_array) output.push_back(']');
  }
  if (stdout_was_closed || !write_stdout_line(std::move(output))) {
    const std::string reason = stdout_was_closed ? "stdout is closed" : errno ? std::strerror(errno) : "short write";
    log.write(s3co::telemetry::log_level::error, "result_write_failed", s3co::pipelines::random_uuid(),
              {{"error", "the result could not be written to stdout: " + reason}});
    // Bad input stays bad input; a run whose result is lost has failed.
    return status == 0 ? 1 : status;
  }
  return status;
}
