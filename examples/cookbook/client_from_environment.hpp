// Cookbook: an S3 client from the environment. Shown in README.md between
// the markers; tests/integration/cookbook runs it against radosgw.
#pragma once

// [cookbook]
#include <s3co/s3/client_from_environment.hpp>

// Region, endpoint, credentials and CA bundle as the AWS SDKs read them
// (AWS_REGION, AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID…, ~/.aws/credentials,
// AWS_CA_BUNDLE). The client owns its connection pool.
s3co::s3::client<> make_s3_client(boost::asio::io_context& io) {
  return s3co::s3::client_from_environment(io.get_executor());
}
// [/cookbook]
