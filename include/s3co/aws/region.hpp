// Region resolution as the AWS SDKs do it: AWS_REGION, then
// AWS_DEFAULT_REGION, then us-east-1.
#pragma once

#include <string>
#include <string_view>

#include "s3co/aws/config_error.hpp"
#include "s3co/aws/environment.hpp"

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

inline std::string resolve_region() {
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (auto value = environment_value(name)) {
      validate_region(*value, name);
      return *value;
    }
  }
  return std::string(default_region);
}

}  // namespace s3co::aws
