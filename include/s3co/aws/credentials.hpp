// AWS credentials and where they come from.
//
// The chain tries, in order: credentials given explicitly, the environment
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), then the
// shared credentials file (AWS_SHARED_CREDENTIALS_FILE, default
// ~/.aws/credentials; profile AWS_PROFILE, default "default"), and reports
// which one it used. A source that is present but incomplete or malformed is
// an error rather than a silent fall-through, and no error message ever holds
// a secret key or a session token.
#pragma once

#include <fstream>
#include <optional>
#include <string>
#include <string_view>

#include "s3co/aws/config_error.hpp"
#include "s3co/detail/text.hpp"
#include "s3co/aws/environment.hpp"

namespace s3co::aws {

struct credentials {
  std::string access_key_id{};
  std::string secret_access_key{};
  std::string session_token{};  // empty unless the credentials are temporary
};

struct resolved_credentials {
  credentials value{};
  std::string source{};  // e.g. "environment" or "shared credentials file /root/.aws/credentials, profile default"
};

// Throws config_error naming `source` when a field is missing or malformed.
void validate_credentials(const credentials& creds, const std::string& source);

// nullopt when neither key variable is set; an error when only one is.
std::optional<credentials> credentials_from_environment();

// nullopt when the file does not exist (and was not named explicitly);
// an error when it cannot be parsed or lacks the profile or a key.
std::optional<resolved_credentials> credentials_from_shared_file();

// Reads one profile from a file in the shared credentials format.
credentials read_credentials_file(const std::string& path, const std::string& profile);

resolved_credentials resolve_credentials(const std::optional<credentials>& explicit_credentials = std::nullopt);

// ---------------------------------------------------------------------------

namespace detail {

inline std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

}  // namespace detail

inline void validate_credentials(const credentials& creds, const std::string& source) {
  if (creds.access_key_id.empty()) throw config_error(source, "access key id is empty");
  if (creds.secret_access_key.empty()) throw config_error(source, "secret access key is empty");
  for (const char c : creds.access_key_id) {
    if (c <= ' ' || c == 0x7f) throw config_error(source, "access key id contains whitespace or control characters");
  }
  for (const char c : creds.secret_access_key) {
    if (c <= ' ' || c == 0x7f) throw config_error(source, "secret access key contains whitespace or control characters");
  }
  for (const char c : creds.session_token) {
    if (c <= ' ' || c == 0x7f) throw config_error(source, "session token contains whitespace or control characters");
  }
}

inline std::optional<credentials> credentials_from_environment() {
  auto access_key = environment_value("AWS_ACCESS_KEY_ID");
  auto secret_key = environment_value("AWS_SECRET_ACCESS_KEY");
  if (!access_key && !secret_key) return std::nullopt;
  if (!access_key) throw config_error("AWS_ACCESS_KEY_ID", "is not set but AWS_SECRET_ACCESS_KEY is");
  if (!secret_key) throw config_error("AWS_SECRET_ACCESS_KEY", "is not set but AWS_ACCESS_KEY_ID is");
  credentials creds{std::move(*access_key), std::move(*secret_key), environment_value("AWS_SESSION_TOKEN").value_or("")};
  validate_credentials(creds, "environment credentials");
  return creds;
}

inline credentials read_credentials_file(const std::string& path, const std::string& profile) {
  std::ifstream file(path);
  if (!file) throw config_error("shared credentials file " + path, "cannot be read");
  const std::string where = "shared credentials file " + path + ", profile " + profile;
  credentials creds;
  bool in_profile = false;
  bool profile_found = false;
  std::string line;
  for (int line_number = 1; std::getline(file, line); ++line_number) {
    const std::string_view text = detail::trim(line);
    if (text.empty() || text.front() == '#' || text.front() == ';') continue;
    if (text.front() == '[') {
      if (text.back() != ']') {
        throw config_error("shared credentials file " + path, "line " + std::to_string(line_number) + " is not a [section]");
      }
      in_profile = detail::trim(text.substr(1, text.size() - 2)) == profile;
      profile_found = profile_found || in_profile;
      continue;
    }
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) {
      // The line may hold a secret: say where it is, never what it says.
      throw config_error("shared credentials file " + path,
                         "line " + std::to_string(line_number) + " is neither [section] nor name = value");
    }
    if (!in_profile) continue;
    const std::string name = s3co::detail::lower_ascii(detail::trim(text.substr(0, equals)));
    const std::string_view value = detail::trim(text.substr(equals + 1));
    if (name == "aws_access_key_id") creds.access_key_id = value;
    else if (name == "aws_secret_access_key") creds.secret_access_key = value;
    else if (name == "aws_session_token") creds.session_token = value;
  }
  if (!profile_found) throw config_error("shared credentials file " + path, "has no profile " + profile);
  if (creds.access_key_id.empty()) throw config_error(where, "has no aws_access_key_id");
  if (creds.secret_access_key.empty()) throw config_error(where, "has no aws_secret_access_key");
  validate_credentials(creds, where);
  return creds;
}

inline std::optional<resolved_credentials> credentials_from_shared_file() {
  auto path = environment_value("AWS_SHARED_CREDENTIALS_FILE");
  const bool named_explicitly = path.has_value();
  if (!path) {
    const auto home = environment_value("HOME");
    if (!home) return std::nullopt;
    path = *home + "/.aws/credentials";
  }
  if (!named_explicitly && !std::ifstream(*path)) return std::nullopt;
  const std::string profile = environment_value("AWS_PROFILE").value_or("default");
  return resolved_credentials{read_credentials_file(*path, profile),
                              "shared credentials file " + *path + ", profile " + profile};
}

inline resolved_credentials resolve_credentials(const std::optional<credentials>& explicit_credentials) {
  if (explicit_credentials) {
    validate_credentials(*explicit_credentials, "explicit credentials");
    return {*explicit_credentials, "explicit"};
  }
  if (auto from_environment = credentials_from_environment()) return {std::move(*from_environment), "environment"};
  if (auto from_file = credentials_from_shared_file()) return std::move(*from_file);
  throw config_error("credentials",
                     "none found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or provide a shared credentials "
                     "file (~/.aws/credentials or AWS_SHARED_CREDENTIALS_FILE)");
}

}  // namespace s3co::aws
