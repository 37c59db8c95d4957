// The region as the AWS SDKs resolve it, instance metadata included:
// AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`
// (aws/region.hpp), then the instance's placement/region from IMDSv2
// (unless AWS_EC2_METADATA_DISABLED=true; an instance metadata service that
// does not answer is skipped, within its 1 s timeouts), then us-east-1.
#pragma once

#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "s3co/aws/region.hpp"
#include "s3co/aws/shared_config.hpp"
#include "s3co/credentials/instance_metadata.hpp"
#include "s3co/detail/run_blocking.hpp"

namespace s3co::credentials {

boost::asio::awaitable<std::string> resolve_region(boost::asio::any_io_executor executor,
                                                   instance_metadata_options instance_metadata);

// The same for a synchronous caller, on a private io_context.
std::string resolve_region_blocking(instance_metadata_options instance_metadata = instance_metadata_options());

// ---------------------------------------------------------------------------

inline boost::asio::awaitable<std::string> resolve_region(boost::asio::any_io_executor executor,
                                                          instance_metadata_options instance_metadata) {
  if (auto configured = aws::configured_region_checked(aws::load_shared_config(), aws::active_profile_name())) {
    co_return std::move(*configured);
  }
  if (!instance_metadata_disabled()) {
    instance_metadata_client client(std::move(instance_metadata));
    std::optional<std::string> from_instance;
    try {
      from_instance = co_await client.fetch_region(executor);
    } catch (const provider_error&) {
      // Not on EC2, or no answer: the default follows.
    }
    if (from_instance && !from_instance->empty()) {
      aws::validate_region(*from_instance, "instance metadata placement/region");
      co_return std::move(*from_instance);
    }
  }
  co_return std::string(aws::default_region);
}

inline std::string resolve_region_blocking(instance_metadata_options instance_metadata) {
  return s3co::detail::run_blocking([&](boost::asio::any_io_executor executor) {
    return resolve_region(std::move(executor), std::move(instance_metadata));
  });
}

}  // namespace s3co::credentials
