// Presigns AWS's published example through the installed headers and checks
// the signature, so a broken install fails here. It also compiles the
// README's listing snippet against the umbrella header, so every installed
// header and its dependencies resolve from the package alone. It builds in
// separate compilation mode, so the README's example links against the
// installed s3co_compiled library. The core needs no simdjson: none of its
// headers may include it.
#include <s3co/s3co.hpp>

#ifndef S3CO_SEPARATE_COMPILATION
#error "s3co::s3co_compiled defines S3CO_SEPARATE_COMPILATION"
#endif

#ifdef SIMDJSON_H
#error "s3co/s3co.hpp (the core) includes simdjson"
#endif

#include <chrono>
#include <iostream>

// The README's example, verbatim.
boost::asio::awaitable<std::size_t> count_objects(s3co::s3::client<s3co::http::client>& s3) {
  s3co::s3::list_paginator pages(s3, {.bucket = "my-bucket", .prefix = "2026/04/"});
  std::size_t count = 0;
  while (auto page = co_await pages.next()) count += page->objects.size();
  co_return count;
}

int main() {
  using namespace std::chrono;
  s3co::aws::presigner signer({"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""}, "us-east-1",
                              s3co::aws::aws_s3_endpoint("us-east-1"));
  const std::string url =
      signer.presign({"examplebucket", "test.txt", seconds(86400), sys_days{2013y / May / 24} + 0h});
  const bool ok = url.ends_with("aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  std::cout << "consumer: " << (ok ? "ok" : "WRONG SIGNATURE") << "\n";
  return ok ? 0 : 1;
}
