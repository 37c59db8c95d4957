// Region resolution as the AWS SDKs do it: AWS_REGION, then
// AWS_DEFAULT_REGION, then the active profile's `region` in the shared
// config files (aws/shared_config.hpp), then us-east-1. (The instance
// metadata's region, between the profile and us-east-1, needs the network:
// credentials/region.hpp adds it.)
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "s3co/aws/config_error.hpp"
#include "s3co/aws/environment.hpp"
#include "s3co/aws/shared_config.hpp"

namespace s3co::aws {

inline constexpr std::string_view default_region = "us-east-1";

// Throws config_error naming `field` unless `region` looks like a region
// (lower-case letters, digits and dashes), because the value ends up in the
// signing scope and the host name.
inline void validate_region(std::string_view region, const std::string& field) {
  if (region.empty()) throw config_error(field, "must not be empty");
  if (region.size() > 64) throw config_error(field, "is longer than 64 characters");
  for (const char c : region) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!allowed) throw config_error(field, "'" + std::string(region) + "' is not a region name (a-z, 0-9, -)");
  }
}

// The configured region, validated and named by where it came from; nullopt
// when neither the environment nor the profile names one.
inline std::optional<std::string> configured_region_checked(const shared_config& config, const std::string& profile) {
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (auto value = environment_value(name)) {
      validate_region(*value, name);
      return value;
    }
  }
  auto from_profile = configured_region(config, profile);
  if (from_profile) validate_region(*from_profile, "profile " + profile + " region");
  return from_profile;
}

inline std::string resolve_region() {
  return configured_region_checked(load_shared_config(), active_profile_name()).value_or(std::string(default_region));
}

}  // namespace s3co::aws
