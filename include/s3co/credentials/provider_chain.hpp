// The credentials provider chain, in the AWS SDKs' order; the first
// provider that is configured supplies the credentials, and says so.
//
//   1. explicit credentials                             source "explicit"
//   2. the environment: AWS_ACCESS_KEY_ID, …, AWS_CREDENTIAL_EXPIRATION
//                                                       "environment"
//   3. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN
//      (AWS_ROLE_SESSION_NAME) → STS AssumeRoleWithWebIdentity
//                                                       "web identity"
//   4. the shared files' profile (aws/shared_config.hpp), by what it holds:
//      role_arn + web_identity_token_file → AssumeRoleWithWebIdentity;
//      role_arn + source_profile → AssumeRole signed with the source
//      profile's credentials (chains allowed, loops refused); SSO settings →
//      an error saying SSO is not supported; aws_access_key_id → static keys;
//      credential_process → the process (credentials/credential_process.hpp)
//   5. container credentials (credentials/container_credentials.hpp)
//   6. EC2 instance metadata, IMDSv2 (credentials/instance_metadata.hpp),
//      unless AWS_EC2_METADATA_DISABLED=true
//
// A provider that is configured but fails is an error, not a silent step to
// the next one (as in the SDKs): a typo must not pick up other credentials.
// Only instance metadata, the last resort, may be absent; then the error
// says that no provider was configured and why the metadata did not answer.
// Errors name the provider and the field and never hold a secret.
//
// found_credentials::refetch fetches again from the provider that answered
// (empty for credentials that cannot change); refreshing_credentials.hpp
// calls it ahead of expiry. It owns copies of everything it needs.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "s3co/aws/config_error.hpp"
#include "s3co/aws/credentials.hpp"
#include "s3co/aws/environment.hpp"
#include "s3co/aws/region.hpp"
#include "s3co/aws/shared_config.hpp"
#include "s3co/credentials/container_credentials.hpp"
#include "s3co/credentials/credential_process.hpp"
#include "s3co/credentials/instance_metadata.hpp"
#include "s3co/credentials/provider_error.hpp"
#include "s3co/credentials/sts.hpp"
#include "s3co/detail/run_blocking.hpp"

namespace s3co::credentials {

struct chain_options {
  std::optional<aws::credentials> explicit_credentials{};
  std::string profile{};  // empty: AWS_PROFILE, else "default"
  instance_metadata_options instance_metadata{};
  process_limits process{};
};

using refetch_function = std::function<boost::asio::awaitable<aws::credentials>(boost::asio::any_io_executor)>;

struct found_credentials {
  aws::credentials value{};
  std::string source{};        // the provider, for logs (identity_source)
  refetch_function refetch{};  // empty: these credentials do not change
};

boost::asio::awaitable<found_credentials> find_credentials(boost::asio::any_io_executor executor,
                                                           chain_options options);

// The same chain for a synchronous caller: runs it on a private io_context
// and returns when it is done.
found_credentials find_credentials_blocking(chain_options options = chain_options());

// ---------------------------------------------------------------------------

namespace detail {

inline constexpr int max_source_profile_depth = 8;

// Fetches once, then returns the credentials and how to fetch them again.
inline boost::asio::awaitable<found_credentials> fetch_first(boost::asio::any_io_executor executor,
                                                             refetch_function refetch, std::string source) {
  aws::credentials value = co_await refetch(executor);
  co_return found_credentials{std::move(value), std::move(source), std::move(refetch)};
}

inline boost::asio::awaitable<aws::credentials> assume_role_from_source(boost::asio::any_io_executor executor,
                                                                        sts_endpoint endpoint,
                                                                        assume_role_settings settings,
                                                                        aws::credentials source,
                                                                        refetch_function refetch_source) {
  // Temporary source credentials are fetched again; static ones are reused.
  if (refetch_source) source = co_await refetch_source(executor);
  co_return co_await assume_role(std::move(executor), std::move(endpoint), std::move(settings), std::move(source));
}

inline std::string region_for_sts(const aws::shared_config& config, const std::string& profile) {
  return aws::configured_region_checked(config, profile).value_or(std::string(aws::default_region));
}

inline boost::asio::awaitable<aws::credentials> run_process(boost::asio::any_io_executor, std::string command,
                                                            std::string profile, process_limits limits) {
  co_return run_credential_process(command, profile, limits);
}

inline boost::asio::awaitable<aws::credentials> fetch_from_instance_metadata(
    boost::asio::any_io_executor executor, std::shared_ptr<instance_metadata_client> client) {
  co_return co_await client->fetch_credentials(std::move(executor));
}

// The credentials `name` gives, or nullopt when it holds none.
inline boost::asio::awaitable<std::optional<found_credentials>> from_profile(boost::asio::any_io_executor executor,
                                                                             const aws::shared_config& config,
                                                                             std::string name, chain_options options,
                                                                             int depth) {
  const std::string where = "profile " + name;
  const aws::config_section* profile = config.profile(name);
  if (profile == nullptr) {
    throw aws::config_error(where, "is in neither " + config.config_path + " nor " + config.credentials_path);
  }
  for (const char* sso_setting : {"sso_session", "sso_start_url", "sso_account_id", "sso_role_name"}) {
    if (profile->value(sso_setting)) {
      throw aws::config_error(where, std::string("is an SSO profile (") + sso_setting +
                                         "), which s3co does not support: run `aws configure export-credentials` "
                                         "or use another profile");
    }
  }
  if (const auto role_arn = profile->value("role_arn")) {
    const bool own_keys = profile->value("aws_access_key_id").has_value();
    const auto source_profile = profile->value("source_profile");
    if (const auto token_file = profile->value("web_identity_token_file")) {
      web_identity_settings settings{.provider = "web identity (" + where + ")",
                                     .role_arn = *role_arn,
                                     .session_name = profile->value("role_session_name").value_or(""),
                                     .token_file = *token_file};
      sts_endpoint endpoint = resolve_sts_endpoint(config, name, region_for_sts(config, name));
      std::string source = settings.provider;
      refetch_function refetch = [endpoint, settings](boost::asio::any_io_executor ex) {
        return assume_role_with_web_identity(std::move(ex), endpoint, settings);
      };
      co_return co_await fetch_first(executor, std::move(refetch), std::move(source));
    }
    if (profile->value("credential_source")) {
      throw aws::config_error(where, "credential_source is not supported: use source_profile");
    }
    if (!source_profile) throw aws::config_error(where, "has role_arn but neither source_profile nor web_identity_token_file");
    if (depth >= max_source_profile_depth) {
      throw aws::config_error(where, "source_profile chain is longer than " + std::to_string(max_source_profile_depth) +
                                         " profiles (a loop?)");
    }
    if (profile->value("mfa_serial")) throw aws::config_error(where, "mfa_serial is not supported");
    std::optional<found_credentials> source;
    if (*source_profile == name) {
      // A profile may assume a role with its own keys.
      if (!own_keys) throw aws::config_error(where, "is its own source_profile but has no aws_access_key_id");
      source = found_credentials{aws::credentials{*profile->value("aws_access_key_id"),
                                                  profile->value("aws_secret_access_key").value_or(""),
                                                  profile->value("aws_session_token").value_or(""), std::nullopt},
                                 where, {}};
      aws::validate_credentials(source->value, where);
    } else {
      std::string source_name = *source_profile;
      source = co_await from_profile(executor, config, std::move(source_name), options, depth + 1);
      if (!source) throw aws::config_error(where, "source_profile " + *source_profile + " has no credentials");
    }
    assume_role_settings settings{.provider = "assume role (" + where + ")",
                                  .role_arn = *role_arn,
                                  .session_name = profile->value("role_session_name").value_or(""),
                                  .external_id = profile->value("external_id").value_or(""),
                                  .duration_seconds = std::nullopt};
    if (const auto duration = profile->value("duration_seconds")) {
      try {
        settings.duration_seconds = std::stoi(*duration);
      } catch (const std::exception&) {
        throw aws::config_error(where, "duration_seconds '" + *duration + "' is not a number");
      }
    }
    sts_endpoint endpoint = resolve_sts_endpoint(config, name, region_for_sts(config, name));
    std::string provider = settings.provider;
    refetch_function refetch = [endpoint, settings, source_value = source->value,
                                source_refetch = source->refetch](boost::asio::any_io_executor ex) {
      return assume_role_from_source(std::move(ex), endpoint, settings, source_value, source_refetch);
    };
    aws::credentials first = co_await assume_role(executor, endpoint, settings, source->value);
    co_return found_credentials{std::move(first), std::move(provider), std::move(refetch)};
  }
  if (const auto access_key = profile->value("aws_access_key_id")) {
    const std::string from = (profile->keys_from.empty() ? std::string("shared files") : profile->keys_from) + ", " + where;
    aws::credentials creds{*access_key, profile->value("aws_secret_access_key").value_or(""),
                           profile->value("aws_session_token").value_or(""), std::nullopt};
    if (creds.secret_access_key.empty()) throw aws::config_error(from, "has no aws_secret_access_key");
    aws::validate_credentials(creds, from);
    co_return found_credentials{std::move(creds), from, {}};
  }
  if (const auto command = profile->value("credential_process")) {
    std::string source = "credential_process (" + where + ")";
    refetch_function refetch = [command = *command, name, limits = options.process](boost::asio::any_io_executor ex) {
      return run_process(std::move(ex), command, name, limits);
    };
    co_return co_await fetch_first(executor, std::move(refetch), std::move(source));
  }
  co_return std::nullopt;
}

inline bool profile_named_explicitly(const chain_options& options) {
  return !options.profile.empty() || aws::environment_value("AWS_PROFILE").has_value();
}

inline boost::asio::awaitable<found_credentials> first_configured_provider(boost::asio::any_io_executor executor,
                                                                           chain_options options);

}  // namespace detail

inline boost::asio::awaitable<found_credentials> find_credentials(boost::asio::any_io_executor executor,
                                                                  chain_options options) {
  found_credentials found = co_await detail::first_configured_provider(std::move(executor), std::move(options));
  if (!aws::unexpired(found.value, std::chrono::system_clock::now())) {
    throw provider_error(found.source, "the credentials expired at " +
                                           std::string(aws::amz_timestamp(*found.value.expiration).text()) +
                                           ", before they were first used");
  }
  co_return found;
}

inline boost::asio::awaitable<found_credentials> detail::first_configured_provider(
    boost::asio::any_io_executor executor, chain_options options) {
  if (options.explicit_credentials) {
    aws::validate_credentials(*options.explicit_credentials, "explicit credentials");
    co_return found_credentials{*options.explicit_credentials, "explicit", {}};
  }
  if (auto from_environment = aws::credentials_from_environment()) {
    co_return found_credentials{std::move(*from_environment), "environment", {}};
  }

  const aws::shared_config config = aws::load_shared_config();
  const std::string profile = options.profile.empty() ? aws::active_profile_name() : options.profile;

  const auto token_file = aws::environment_value("AWS_WEB_IDENTITY_TOKEN_FILE");
  const auto role_arn = aws::environment_value("AWS_ROLE_ARN");
  if (token_file || role_arn) {
    if (!token_file) throw aws::config_error("web identity", "AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not");
    if (!role_arn) throw aws::config_error("web identity", "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not");
    web_identity_settings settings{.provider = "web identity",
                                   .role_arn = *role_arn,
                                   .session_name = aws::environment_value("AWS_ROLE_SESSION_NAME").value_or(""),
                                   .token_file = *token_file};
    sts_endpoint endpoint = resolve_sts_endpoint(config, profile, detail::region_for_sts(config, profile));
    refetch_function refetch = [endpoint, settings](boost::asio::any_io_executor ex) {
      return assume_role_with_web_identity(std::move(ex), endpoint, settings);
    };
    std::string source = "web identity";
    co_return co_await detail::fetch_first(executor, std::move(refetch), std::move(source));
  }

  if (config.profile(profile) != nullptr || detail::profile_named_explicitly(options)) {
    auto from_profile = co_await detail::from_profile(executor, config, profile, options, 0);
    if (from_profile) co_return std::move(*from_profile);
  }

  if (auto container = container_endpoint_from_environment()) {
    refetch_function refetch = [endpoint = std::move(*container)](boost::asio::any_io_executor ex) {
      return fetch_container_credentials(std::move(ex), endpoint);
    };
    std::string source(container_provider_name);
    co_return co_await detail::fetch_first(executor, std::move(refetch), std::move(source));
  }

  std::string instance_metadata_outcome = "AWS_EC2_METADATA_DISABLED is true";
  if (!instance_metadata_disabled()) {
    auto client = std::make_shared<instance_metadata_client>(options.instance_metadata);
    refetch_function refetch = [client](boost::asio::any_io_executor ex) {
      return detail::fetch_from_instance_metadata(std::move(ex), client);
    };
    try {
      aws::credentials first = co_await refetch(executor);
      co_return found_credentials{std::move(first), std::string(instance_metadata_provider_name), std::move(refetch)};
    } catch (const provider_error& failed) {
      instance_metadata_outcome = failed.what();
    }
  }
  throw aws::config_error("credentials",
                          "none found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, give a profile in "
                          "~/.aws/credentials or ~/.aws/config (AWS_PROFILE), or run where a web identity, container "
                          "or instance role provides them (" + instance_metadata_outcome + ")");
}

inline found_credentials find_credentials_blocking(chain_options options) {
  return s3co::detail::run_blocking(
      [&](boost::asio::any_io_executor executor) { return find_credentials(std::move(executor), std::move(options)); });
}

}  // namespace s3co::credentials
