// sign_pdfs: presign every PDF under an S3 prefix into a JSONL manifest.
//
//   sign_pdfs [--bucket B] [--prefix P] [--expiry-seconds N] [--page-size N]
//             [--concurrency N] [--event FILE|-]
//
// Flags beat the event's fields, which beat the environment (BUCKET_NAME,
// PREFIX, URL_EXPIRY_SECONDS, QUEUE_MAX). The result JSON goes to stdout on
// one line; structured logs and the EMF line go to stderr, with a progress
// line when stderr is a terminal. Exit status: 0 done, 2 bad input (the
// message names the field), 1 the run failed.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include "s3co/pipelines/sign_pdfs_handler.hpp"

namespace {

constexpr std::string_view usage =
    "usage: sign_pdfs [--bucket B] [--prefix P] [--expiry-seconds N] [--page-size N] [--concurrency N] "
    "[--event FILE|-]\n";

struct command_line {
  s3co::pipelines::config_overrides overrides;
  std::string event;
};

std::string read_event(const std::string& source) {
  if (source == "-") return {std::istreambuf_iterator<char>(std::cin), {}};
  std::ifstream file(source, std::ios::binary);
  if (!file) throw s3co::aws::config_error("--event", "cannot read '" + source + "'");
  return {std::istreambuf_iterator<char>(file), {}};
}

command_line parse_command_line(int argc, char** argv) {
  using s3co::aws::config_error;
  static const std::pair<std::string_view, std::string_view> flag_fields[] = {
      {"--bucket", "bucket"},         {"--prefix", "prefix"},           {"--expiry-seconds", "expiry_seconds"},
      {"--page-size", "page_size"},   {"--concurrency", "concurrency"},
  };
  command_line parsed;
  for (int i = 1; i < argc; ++i) {
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
    bool known = false;
    for (const auto& [flag, field] : flag_fields) {
      if (arg == flag) {
        parsed.overrides[std::string(field)] = value();
        known = true;
      }
    }
    if (!known) throw config_error(std::string(arg), "is not an option of sign_pdfs");
  }
  return parsed;
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
      std::fprintf(stderr, "\r\033[Klisted %llu keys, presigned %llu, manifest %llu bytes",
                   static_cast<unsigned long long>(progress_.keys_listed.load()),
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

}  // namespace

int main(int argc, char** argv) {
  command_line parsed;
  try {
    parsed = parse_command_line(argc, argv);
  } catch (const s3co::aws::config_error& error) {
    std::cerr << "sign_pdfs: " << error.what() << "\n" << usage;
    return 2;
  }

  s3co::telemetry::structured_log log(stderr);
  s3co::pipelines::sign_pdfs_progress progress;
  s3co::pipelines::handler_options options;
  options.log = &log;
  options.progress = &progress;
  s3co::pipelines::handler_response response;
  {
    std::optional<progress_line> display;
    if (::isatty(STDERR_FILENO)) display.emplace(progress);
    response = s3co::pipelines::handle_sign_pdfs(parsed.event, parsed.overrides, options);
  }
  std::cout << response.body << std::endl;
  switch (response.status_code) {
    case 200: return 0;
    case 400: return 2;
    default: return 1;
  }
}
