// presign: prints presigned GET URLs, like `aws s3 presign`.
//
//   presign --bucket B [--endpoint URL] [--region R] [--path-style]
//           [--expires-in N] [--at YYYYMMDDTHHMMSSZ] [KEY ...]
//
// Keys come from the arguments or, when there are none, one per line from
// stdin. Credentials come from the provider chain, in its blocking form
// (credentials/provider_chain.hpp: environment, web identity, shared files
// with credential_process and roles, container, instance metadata), and
// are refreshed if they expire while keys are still being read; region
// from --region, AWS_REGION, AWS_DEFAULT_REGION, the profile, the instance
// metadata, else us-east-1; the
// endpoint is --endpoint, else S3_ENDPOINT_URL, AWS_ENDPOINT_URL_S3,
// AWS_ENDPOINT_URL, the profile's, else AWS. Exit 2 on bad input, with a
// message naming the field; 1 when no credentials could be fetched.
#include <charconv>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "s3co/aws/endpoint.hpp"
#include "s3co/aws/presigner.hpp"
#include "s3co/aws/region.hpp"
#include "s3co/credentials/refreshing_credentials.hpp"
#include "s3co/credentials/region.hpp"

namespace {

constexpr std::string_view usage =
    "usage: presign --bucket B [--endpoint URL] [--region R] [--path-style] [--expires-in N] "
    "[--at YYYYMMDDTHHMMSSZ] [KEY ...]\n";

struct options {
  std::string bucket;
  std::optional<std::string> endpoint;
  std::optional<std::string> region;
  bool path_style = false;
  std::chrono::seconds expires_in{3600};
  std::optional<s3co::aws::utc_time_point> at;
  std::vector<std::string> keys;
};

options parse_options(int argc, char** argv) {
  using s3co::aws::config_error;
  options parsed;
  bool bucket_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw config_error(std::string(arg), "needs a value");
      return argv[++i];
    };
    if (arg == "--bucket") {
      parsed.bucket = value();
      bucket_given = true;
    } else if (arg == "--endpoint") {
      parsed.endpoint = value();
    } else if (arg == "--region") {
      parsed.region = value();
    } else if (arg == "--path-style") {
      parsed.path_style = true;
    } else if (arg == "--expires-in") {
      const std::string text = value();
      long seconds = 0;
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
      if (error != std::errc{} || end != text.data() + text.size()) {
        throw config_error("--expires-in", "'" + text + "' is not a whole number of seconds");
      }
      parsed.expires_in = std::chrono::seconds(seconds);
      s3co::aws::validate_presign_expiry(parsed.expires_in, "--expires-in");
    } else if (arg == "--at") {
      const std::string text = value();
      parsed.at = s3co::aws::parse_amz_timestamp(text);
      if (!parsed.at) throw config_error("--at", "'" + text + "' is not YYYYMMDDTHHMMSSZ");
    } else if (arg == "--help" || arg == "-h") {
      std::cout << usage;
      std::exit(0);
    } else if (arg.starts_with("--")) {
      throw config_error(std::string(arg), "is not an option of presign");
    } else {
      parsed.keys.emplace_back(arg);
    }
  }
  if (!bucket_given) throw config_error("--bucket", "is required");
  if (parsed.bucket.empty()) throw config_error("--bucket", "must not be empty");
  return parsed;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace s3co::aws;
  std::optional<presigner> signer;
  options parsed;
  try {
    parsed = parse_options(argc, argv);
    std::string region = parsed.region ? *parsed.region : s3co::credentials::resolve_region_blocking();
    validate_region(region, parsed.region ? "--region" : "region");
    s3_endpoint endpoint = parsed.endpoint ? parse_endpoint_url(*parsed.endpoint, "--endpoint")
                                           : resolve_s3_endpoint(region);
    if (parsed.path_style) endpoint.addressing = addressing_style::path;
    signer.emplace(s3co::credentials::resolve_live_credentials_blocking(), std::move(region), std::move(endpoint));
  } catch (const config_error& error) {
    std::cerr << "presign: " << error.what() << "\n" << usage;
    return 2;
  } catch (const s3co::error& error) {
    std::cerr << "presign: " << error.what() << "\n";
    return 1;
  }

  const utc_time_point at = parsed.at.value_or(std::chrono::system_clock::now());
  std::string url;
  const auto emit = [&](std::string_view key) -> bool {
    url.clear();
    try {
      signer->append_presigned(url, {parsed.bucket, key, parsed.expires_in, at});
    } catch (const config_error& error) {
      std::cerr << "presign: " << error.what() << "\n";
      return false;
    } catch (const credentials_expired& error) {
      std::cerr << "presign: " << error.what() << "\n";
      return false;
    }
    url.push_back('\n');
    std::fwrite(url.data(), 1, url.size(), stdout);
    return true;
  };

  if (!parsed.keys.empty()) {
    for (const auto& key : parsed.keys) {
      if (!emit(key)) return 2;
    }
  } else {
    std::ios::sync_with_stdio(false);
    for (std::string line; std::getline(std::cin, line);) {
      if (line.empty()) continue;  // a blank line names no key
      if (!emit(line)) return 2;
    }
  }
  return std::fflush(stdout) == 0 ? 0 : 1;
}
