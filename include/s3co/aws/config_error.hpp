// The error for bad configuration: a value that is missing, malformed or out
// of range. It names the field so a user can fix it; it never carries a
// secret's value.
#pragma once

#include <stdexcept>
#include <string>

namespace s3co::aws {

class config_error : public std::invalid_argument {
 public:
  config_error(std::string field, const std::string& problem)
      : std::invalid_argument(field + ": " + problem), field_(std::move(field)) {}

  const std::string& field() const noexcept { return field_; }

 private:
  std::string field_;
};

}  // namespace s3co::aws
