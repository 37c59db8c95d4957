// list_client: lists one prefix and prints what it cost, as one JSON line.
//
//   list_client --bucket B [--prefix P] [--chains K] [--pages-per-chain N]
//               [--page-size M] [--sequential]
//
// Lists s3://B/P with s3::parallel_lister at K chains (default 8), or with
// s3::list_paginator when --sequential is given (the reference for K = 1).
// Region, endpoint (S3_ENDPOINT_URL, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL)
// and credentials come from the environment, as s3::client_from_environment
// reads them. The keys are counted, checked to arrive in strictly increasing
// order and hashed (FNV-1a over every key and a NUL), so that listings at
// different K can be compared by one number. Prints
//
//   {"lister","chains","keys","pages","wall_ms","keys_per_s","cpu_ms",
//    "max_rss_kib","requests","chains_started","empty_ranges",
//    "keys_dropped","ordered","keys_fnv1a"}
//
// wall_ms and cpu_ms (user + system, getrusage) cover the listing alone,
// from the first request to the last page; max_rss_kib is the process's peak
// (ru_maxrss), with the heap thresholds sign_pdfs sets
// (detail/heap.hpp). For the sequential lister, requests is its page count and the
// range fields are 0. Exit status: 0 listed, 1 the listing failed (the error
// on stderr), 2 bad flags.
#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "s3co/detail/heap.hpp"
#include "s3co/s3/client_from_environment.hpp"
#include "s3co/s3/list_objects.hpp"
#include "s3co/s3/parallel_lister.hpp"

namespace {

struct options {
  std::string bucket;
  std::string prefix;
  int chains = 8;
  int pages_per_chain = 2;
  int page_size = 1000;
  bool sequential = false;
};

struct tally {
  std::uint64_t keys = 0;
  std::uint64_t pages = 0;
  std::uint64_t hash = 14695981039346656037ull;
  bool ordered = true;
  std::string last;
  s3co::s3::parallel_list_stats stats;

  void add(const s3co::s3::list_page& page) {
    ++pages;
    for (const auto& object : page.objects) {
      if (keys > 0 && !(last < object.key)) ordered = false;
      for (const unsigned char c : object.key) hash = (hash ^ c) * 1099511628211ull;
      hash *= 1099511628211ull;  // the NUL between keys
      last = object.key;
      ++keys;
    }
  }
};

[[noreturn]] void usage(std::string_view problem) {
  std::cerr << "list_client: " << problem
            << "\nusage: list_client --bucket B [--prefix P] [--chains K] [--pages-per-chain N] [--page-size M] "
               "[--sequential]\n";
  std::exit(2);
}

int to_int(std::string_view flag, const std::string& text) {
  try {
    std::size_t used = 0;
    const int value = std::stoi(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  usage(std::string(flag) + " needs a number, not '" + text + "'");
}

options parse_options(int argc, char** argv) {
  options opts;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--sequential") {
      opts.sequential = true;
      continue;
    }
    if (i + 1 >= argc) usage(std::string(flag) + " needs a value");
    const std::string value = argv[++i];
    if (flag == "--bucket") {
      opts.bucket = value;
    } else if (flag == "--prefix") {
      opts.prefix = value;
    } else if (flag == "--chains") {
      opts.chains = to_int(flag, value);
    } else if (flag == "--pages-per-chain") {
      opts.pages_per_chain = to_int(flag, value);
    } else if (flag == "--page-size") {
      opts.page_size = to_int(flag, value);
    } else {
      usage("unknown flag " + std::string(flag));
    }
  }
  if (opts.bucket.empty()) usage("--bucket is required");
  return opts;
}

boost::asio::awaitable<void> list(s3co::s3::client<>& s3, options opts, tally& out) {
  const s3co::s3::list_request request{.bucket = opts.bucket, .prefix = opts.prefix, .max_keys = opts.page_size};
  if (opts.sequential) {
    s3co::s3::list_paginator pages(s3, request);
    while (auto page = co_await pages.next()) out.add(*page);
    out.stats.requests = static_cast<std::uint64_t>(pages.pages());
    co_return;
  }
  s3co::s3::parallel_lister pages(s3, request,
                                  s3co::s3::parallel_list_options{.chains = opts.chains,
                                                                  .pages_per_chain = opts.pages_per_chain});
  while (auto page = co_await pages.next()) out.add(*page);
  out.stats = pages.stats();
}

double cpu_ms() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto ms = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1e3 + t.tv_usec / 1e3; };
  return ms(usage.ru_utime) + ms(usage.ru_stime);
}

}  // namespace

int main(int argc, char** argv) {
  // As sign_pdfs does: else glibc trims and refaults the heap top every page,
  // which one chain (freeing each page before the next) pays most.
  s3co::detail::keep_freed_heap_for_reuse();
  const options opts = parse_options(argc, argv);
  boost::asio::io_context io;
  tally out;
  std::exception_ptr failure;
  try {
    auto s3 = s3co::s3::client_from_environment(io.get_executor());
    const double cpu_before = cpu_ms();
    const auto started = std::chrono::steady_clock::now();
    boost::asio::co_spawn(io, list(s3, opts, out), [&](std::exception_ptr error) { failure = error; });
    io.run();
    const double wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    const double cpu = cpu_ms() - cpu_before;
    if (failure) std::rethrow_exception(failure);
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    std::printf(
        "{\"lister\":\"%s\",\"chains\":%d,\"keys\":%llu,\"pages\":%llu,\"wall_ms\":%.1f,\"keys_per_s\":%.0f,"
        "\"cpu_ms\":%.1f,\"max_rss_kib\":%ld,\"requests\":%llu,\"chains_started\":%llu,\"empty_ranges\":%llu,"
        "\"keys_dropped\":%llu,\"ordered\":%s,\"keys_fnv1a\":\"%016llx\"}\n",
        opts.sequential ? "sequential" : "parallel", opts.sequential ? 1 : opts.chains,
        static_cast<unsigned long long>(out.keys), static_cast<unsigned long long>(out.pages), wall_ms,
        wall_ms > 0 ? static_cast<double>(out.keys) * 1e3 / wall_ms : 0.0, cpu, usage.ru_maxrss,
        static_cast<unsigned long long>(out.stats.requests), static_cast<unsigned long long>(out.stats.chains_started),
        static_cast<unsigned long long>(out.stats.empty_ranges),
        static_cast<unsigned long long>(out.stats.keys_dropped), out.ordered ? "true" : "false",
        static_cast<unsigned long long>(out.hash));
    return out.ordered ? 0 : 1;
  } catch (const std::exception& error) {
    std::cerr << "list_client: " << error.what() << "\n";
    return 1;
  }
}
