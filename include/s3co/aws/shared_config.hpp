// The shared AWS files, ~/.aws/config and ~/.aws/credentials, read as the
// AWS SDKs read them, and what a profile says beyond credentials: its
// region and its endpoints.
//
// - Where: AWS_CONFIG_FILE (default ~/.aws/config) and
//   AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials); the profile
//   is AWS_PROFILE, else "default". A file named by its variable must
//   exist; a default one may be absent.
// - Sections: `[default]` and `[profile name]` in the config file, `[name]`
//   in the credentials file, `[services name]` in the config file. A
//   profile's values are the config file's with the credentials file's on
//   top, as botocore merges them. Names are case-insensitive, values are
//   trimmed; `#` and `;` start comment lines.
// - A name with an empty value followed by indented `name = value` lines is a
//   nested section (`s3 =\n  endpoint_url = ...` in a services section).
// - Endpoints: AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, then the
//   profile's services section entry for the service, then the profile's
//   endpoint_url.
//
// Parse errors name the file and the line, never the line's text (it may
// hold a secret). A shared_config is a plain value.
#pragma once

#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "s3co/aws/config_error.hpp"
#include "s3co/aws/environment.hpp"
#include "s3co/detail/text.hpp"

namespace s3co::aws {

struct config_section {
  std::map<std::string, std::string> values{};                               // lower-case names
  std::map<std::string, std::map<std::string, std::string>> nested{};        // `s3 =` blocks
  std::string keys_from{};  // the file that gave aws_access_key_id, for messages and logs

  // The value of `name`, or nullopt when it is absent or empty.
  std::optional<std::string> value(std::string_view name) const;
};

struct shared_config {
  std::string config_path{};       // the files looked at, for messages
  std::string credentials_path{};
  std::map<std::string, config_section> profiles{};  // merged: credentials file over config file
  std::map<std::string, config_section> services{};  // [services name]

  const config_section* profile(const std::string& name) const;
};

// The profile to use: AWS_PROFILE, else "default".
std::string active_profile_name();

// Reads both files from where the environment points.
shared_config load_shared_config();

// Parses one file's text; `is_config_file` selects `[profile name]` naming.
// Adds to `into`, the values already there (from the config file) yielding.
void parse_shared_file(std::string_view text, const std::string& path, bool is_config_file, shared_config& into);

// The region the environment or the active profile names: AWS_REGION,
// AWS_DEFAULT_REGION, then the profile's `region`; nullopt when none does.
std::optional<std::string> configured_region(const shared_config& config, const std::string& profile);

// The endpoint URL configured for `service` (its services-section name,
// "s3", "sts"), with its field for messages; nullopt when none is.
struct configured_endpoint {
  std::string url;
  std::string field;  // e.g. "AWS_ENDPOINT_URL_STS" or "profile work endpoint_url"
};
std::optional<configured_endpoint> configured_endpoint_url(const shared_config& config, const std::string& profile,
                                                           std::string_view service);

// ---------------------------------------------------------------------------

namespace detail {

inline std::string_view trim_blank(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

inline std::string upper_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

}  // namespace detail

inline std::optional<std::string> config_section::value(std::string_view name) const {
  const auto found = values.find(std::string(name));
  if (found == values.end() || found->second.empty()) return std::nullopt;
  return found->second;
}

inline const config_section* shared_config::profile(const std::string& name) const {
  const auto found = profiles.find(name);
  return found == profiles.end() ? nullptr : &found->second;
}

inline std::string active_profile_name() { return environment_value("AWS_PROFILE").value_or("default"); }

inline void parse_shared_file(std::string_view text, const std::string& path, bool is_config_file,
                              shared_config& into) {
  const std::string where = (is_config_file ? "shared config file " : "shared credentials file ") + path;
  // Where the current section's values go; null for a section we ignore.
  std::map<std::string, config_section>* table = nullptr;
  std::string section_name;
  std::map<std::string, std::string> section_values;
  std::map<std::string, std::map<std::string, std::string>> section_nested;
  std::string nested_name;  // the `name =` whose indented lines follow
  const auto finish_section = [&] {
    if (table != nullptr) {
      config_section& target = (*table)[section_name];
      if (section_values.contains("aws_access_key_id")) target.keys_from = where;
      for (auto& [name, value] : section_values) target.values[name] = std::move(value);
      for (auto& [name, block] : section_nested) target.nested[name] = std::move(block);
    }
    section_values.clear();
    section_nested.clear();
    nested_name.clear();
  };
  std::size_t line_start = 0;
  for (int line_number = 1; line_start <= text.size(); ++line_number) {
    auto line_end = text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = text.size();
    const std::string_view raw = text.substr(line_start, line_end - line_start);
    line_start = line_end + 1;
    const std::string_view line = detail::trim_blank(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    const std::string at_line = "line " + std::to_string(line_number);
    if (line.front() == '[') {
      if (line.back() != ']') throw config_error(where, at_line + " is not a [section]");
      finish_section();
      const std::string_view header = detail::trim_blank(line.substr(1, line.size() - 2));
      table = nullptr;
      if (!is_config_file) {
        table = &into.profiles;
        section_name = header;
      } else if (header == "default") {
        table = &into.profiles;
        section_name = header;
      } else if (header.starts_with("profile ") || header.starts_with("profile\t")) {
        table = &into.profiles;
        section_name = detail::trim_blank(header.substr(8));
      } else if (header.starts_with("services ")) {
        table = &into.services;
        section_name = detail::trim_blank(header.substr(9));
      }
      // Other sections (sso-session, plain [name] in the config file) are not profiles.
      continue;
    }
    const bool indented = raw.front() == ' ' || raw.front() == '\t';
    const auto equals = line.find('=');
    if (equals == std::string_view::npos) {
      throw config_error(where, at_line + " is neither [section] nor name = value");
    }
    const std::string name = s3co::detail::lower_ascii(detail::trim_blank(line.substr(0, equals)));
    const std::string value(detail::trim_blank(line.substr(equals + 1)));
    if (indented && !nested_name.empty()) {
      section_nested[nested_name][name] = value;
      continue;
    }
    nested_name = value.empty() ? name : std::string();
    section_values[name] = value;
  }
  finish_section();
}

inline shared_config load_shared_config() {
  shared_config config;
  const auto home = environment_value("HOME");
  const auto read_into = [&](const char* variable, const char* default_name, bool is_config_file,
                             std::string& path_out) {
    auto path = environment_value(variable);
    const bool named = path.has_value();
    if (!path) {
      if (!home) return;
      path = *home + "/.aws/" + default_name;
    }
    path_out = *path;
    std::ifstream file(*path);
    if (!file) {
      if (named) throw config_error(variable, "names " + *path + ", which cannot be read");
      return;
    }
    std::ostringstream text;
    text << file.rdbuf();
    parse_shared_file(text.str(), *path, is_config_file, config);
  };
  read_into("AWS_CONFIG_FILE", "config", true, config.config_path);
  read_into("AWS_SHARED_CREDENTIALS_FILE", "credentials", false, config.credentials_path);
  return config;
}

inline std::optional<std::string> configured_region(const shared_config& config, const std::string& profile) {
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (auto value = environment_value(name)) return value;
  }
  if (const config_section* section = config.profile(profile)) return section->value("region");
  return std::nullopt;
}

inline std::optional<configured_endpoint> configured_endpoint_url(const shared_config& config,
                                                                  const std::string& profile,
                                                                  std::string_view service) {
  const std::string service_variable = "AWS_ENDPOINT_URL_" + detail::upper_ascii(service);
  if (auto url = environment_value(service_variable.c_str())) return configured_endpoint{*url, service_variable};
  if (auto url = environment_value("AWS_ENDPOINT_URL")) return configured_endpoint{*url, "AWS_ENDPOINT_URL"};
  const config_section* section = config.profile(profile);
  if (section == nullptr) return std::nullopt;
  if (const auto services_name = section->value("services")) {
    const auto services = config.services.find(*services_name);
    if (services != config.services.end()) {
      const auto block = services->second.nested.find(std::string(service));
      if (block != services->second.nested.end()) {
        const auto url = block->second.find("endpoint_url");
        if (url != block->second.end() && !url->second.empty()) {
          return configured_endpoint{url->second, "services " + *services_name + " " + std::string(service) +
                                                      " endpoint_url"};
        }
      }
    }
  }
  if (auto url = section->value("endpoint_url")) {
    return configured_endpoint{*url, "profile " + profile + " endpoint_url"};
  }
  return std::nullopt;
}

}  // namespace s3co::aws
