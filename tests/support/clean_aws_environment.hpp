// A clean slate for tests of credential and region resolution: every AWS
// variable a provider reads is cleared, HOME points nowhere (no ~/.aws), and
// instance metadata is off unless a test turns it on, so nothing of the
// machine's own set-up leaks in and nothing waits on 169.254.169.254.
#pragma once

#include "support/scoped_environment.hpp"

namespace s3co::testing {

inline void clean_aws_environment(scoped_environment& env) {
  for (const char* name :
       {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION",
        "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
        "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME", "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_S3", "S3_ENDPOINT_URL", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_EC2_METADATA_SERVICE_ENDPOINT",
        "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "AWS_CA_BUNDLE"}) {
    env.clear(name);
  }
  env.set("HOME", "/nonexistent-s3co-home");
  env.set("AWS_EC2_METADATA_DISABLED", "true");
}

}  // namespace s3co::testing
