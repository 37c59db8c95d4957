// Reading settings from the process environment: an unset and an empty
// variable both count as absent, as in the AWS SDKs.
#pragma once

#include <cstdlib>
#include <optional>
#include <string>

namespace s3co::aws {

inline std::optional<std::string> environment_value(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

}  // namespace s3co::aws
