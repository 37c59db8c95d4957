// The error for bad configuration: a value that is missing, malformed or out
// of range. It names the field so a user can fix it; it never carries a
// secret's value.
#pragma once

#include <string>

#include "s3co/error.hpp"

namespace s3co::aws {

class config_error : public s3co::error {
 public:
  config_error(std::string field, const std::string& problem)
      : s3co::error(field + ": " + problem, {.operation = field}), field_(std::move(field)) {}

  const std::string& field() const noexcept { return field_; }

 private:
  std::string field_;
};

}  // namespace s3co::aws
