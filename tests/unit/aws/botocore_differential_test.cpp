// Our signatures against botocore's, the reference client, at frozen times:
// presigned URLs must be byte-identical and Authorization headers equal.
#include "s3co/aws/header_signer.hpp"
#include "s3co/aws/presigner.hpp"

#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "support/run_command.hpp"
#include "support/tricky_keys.hpp"

using namespace s3co::aws;
using namespace std::chrono;
using s3co::testing::hex_of;

namespace {

const std::string helper = std::string(S3CO_PYTHON) + " " + S3CO_SOURCE_DIR + "/tests/tools/botocore_sign.py";
const credentials base_credentials{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
const std::string session_token = "IQoJb3JpZ2luX2VjEXAMPLE+token/with=padding==";

struct endpoint_case {
  const char* url;  // nullptr: AWS's endpoint for the region
  const char* addressing;
  const char* region;
  const char* bucket;
  // botocore's addressing_style for the same URL: on AWS, our automatic
  // virtual-hosted URLs name the regional host, as botocore's "virtual" does
  // (its "auto" would sign the global host).
  const char* reference_addressing = nullptr;  // nullptr: the same as ours
};

const std::vector<endpoint_case> endpoint_cases{
    {nullptr, "auto", "us-east-1", "examplebucket", "virtual"},    // virtual-hosted on s3.amazonaws.com
    {nullptr, "auto", "eu-west-1", "bucket-in-ireland", "virtual"},  // regional host
    {nullptr, "auto", "af-south-1", "bucket-in-cape-town", "virtual"},  // opt-in region: regional host only
    {nullptr, "auto", "eu-west-3", "bucket-in-paris", "virtual"},
    {nullptr, "auto", "us-east-1", "dotted.bucket.name"},     // dots: path-style
    {"http://127.0.0.1:7480", "path", "us-east-1", "local-bucket"},
    {"http://127.0.0.1:7480", "auto", "us-east-1", "local-bucket"},   // an IP host: path-style
    {nullptr, "virtual", "eu-west-3", "regional-virtual"},
    {nullptr, "path", "sa-east-1", "regional-path"},
    {"http://s3.example.test:8080", "auto", "us-west-2", "custom-auto"},      // custom endpoints: path-style
    {"https://s3.example.test", "path", "ap-south-1", "forced-path"},
    {"https://s3.example.test:8443", "virtual", "us-east-1", "forced-virtual"},
    {"http://s3.example.test:8080", "virtual", "us-east-1", "dotted.over.http"},  // http allows dots
};

s3_endpoint our_endpoint(const endpoint_case& c) {
  s3_endpoint endpoint = c.url ? parse_endpoint_url(c.url) : aws_s3_endpoint(c.region);
  const std::string_view addressing = c.addressing;
  endpoint.addressing = addressing == "path"      ? addressing_style::path
                        : addressing == "virtual" ? addressing_style::virtual_hosted
                                                  : addressing_style::automatic;
  return endpoint;
}

std::string json_string(std::string_view text) {
  // Only ASCII without quotes or backslashes reaches here (keys travel as hex).
  return "\"" + std::string(text) + "\"";
}

std::string identity_json(const credentials& creds, const char* region) {
  std::string json = "\"access_key\":" + json_string(creds.access_key_id) +
                     ",\"secret_key\":" + json_string(creds.secret_access_key) + ",\"region\":" + json_string(region);
  if (!creds.session_token.empty()) json += ",\"token\":" + json_string(creds.session_token);
  return json;
}

std::vector<std::string> botocore_answers(const std::string& requests, std::size_t expected) {
  auto lines = s3co::testing::lines_of(s3co::testing::run_command(helper, requests));
  REQUIRE(!lines.empty());
  INFO("reference: " << lines.front());
  REQUIRE_THAT(lines.front(), Catch::StartsWith("botocore "));
  lines.erase(lines.begin());
  REQUIRE(lines.size() == expected);
  return lines;
}

}  // namespace

TEST_CASE("presigned URLs are byte-identical to botocore's", "[presigner][botocore]") {
  const auto keys = s3co::testing::tricky_keys(2400);
  const s3co::aws::utc_time_point start = sys_days{2026y / April / 1} + 9h;
  std::ostringstream requests;
  std::vector<std::string> ours;
  std::vector<presigner> signers;
  for (const auto& with_token : {false, true}) {
    for (const auto& c : endpoint_cases) {
      credentials creds = base_credentials;
      if (with_token) creds.session_token = session_token;
      signers.emplace_back(creds, c.region, our_endpoint(c));
    }
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::size_t signer_index = i % signers.size();
    const bool with_token = signer_index >= endpoint_cases.size();
    const auto& c = endpoint_cases[signer_index % endpoint_cases.size()];
    credentials creds = base_credentials;
    if (with_token) creds.session_token = session_token;
    const auto method = i % 3 == 0 ? http_method::put : http_method::get;
    const seconds expires{i % 7 == 0 ? 604800 : 1 + static_cast<long>(i * 37 % 86400)};
    const s3co::aws::utc_time_point at = start + seconds(i * 7919);
    ours.push_back(signers[signer_index].presign({c.bucket, keys[i], expires, at, method}));
    requests << "{\"kind\":\"presign\"," << identity_json(creds, c.region)
             << ",\"endpoint\":" << (c.url ? json_string(c.url) : "null") << ",\"addressing\":\""
             << (c.reference_addressing ? c.reference_addressing : c.addressing)
             << "\",\"bucket\":\"" << c.bucket << "\",\"key_hex\":\"" << hex_of(keys[i])
             << "\",\"expires\":" << expires.count() << ",\"at\":\"" << amz_timestamp(at).text()
             << "\",\"method\":\"" << method_name(method) << "\"}\n";
  }
  const auto theirs = botocore_answers(requests.str(), ours.size());
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < ours.size(); ++i) {
    if (ours[i] != theirs[i] && ++mismatches <= 5) {
      INFO("key hex: " << hex_of(keys[i]));
      CHECK(ours[i] == theirs[i]);
    }
  }
  CHECK(mismatches == 0);
}

TEST_CASE("Authorization headers equal botocore's S3SigV4Auth", "[header-signer][botocore]") {
  const auto keys = s3co::testing::tricky_keys(300, 99);
  const s3co::aws::utc_time_point start = sys_days{2026y / November / 23} + 13h;
  std::ostringstream requests;
  std::vector<std::string> ours;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const auto& c = endpoint_cases[i % endpoint_cases.size()];
    credentials creds = base_credentials;
    if (i % 2 == 1) creds.session_token = session_token;
    header_signer signer(creds, c.region);
    const bucket_address address = address_bucket(our_endpoint(c), c.bucket);
    const s3co::aws::utc_time_point at = start + seconds(i * 61);

    std::string path = address.path_prefix;
    std::string query;
    std::vector<header_field> headers;
    std::string payload_hash;
    std::string body;
    http_method method = http_method::get;
    switch (i % 4) {
      case 0:  // GET object
        path += "/" + uri_encoded(keys[i], slash_handling::keep);
        payload_hash = std::string(empty_payload_sha256);
        break;
      case 1:  // PUT object, signed body
        method = http_method::put;
        path += "/" + uri_encoded(keys[i], slash_handling::keep);
        body = "body of " + keys[i];
        payload_hash = to_hex(sha256_of(body));
        headers = {{"Content-Type", "application/pdf"}, {"Content-Length", std::to_string(body.size())}};
        break;
      case 2:  // PUT object, unsigned body
        method = http_method::put;
        path += "/" + uri_encoded(keys[i], slash_handling::keep);
        payload_hash = std::string(unsigned_payload);
        headers = {{"Content-Type", "application/x-ndjson"}};
        break;
      case 3:  // ListObjectsV2
        path += "/";
        query = canonical_query_string({{"list-type", "2"},
                                        {"prefix", keys[i]},
                                        {"max-keys", "1000"},
                                        {"encoding-type", "url"},
                                        {"continuation-token", "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="}});
        payload_hash = std::string(empty_payload_sha256);
        break;
    }
    const auto result = signer.sign({method, address.authority, path, query, headers, payload_hash, at});
    ours.push_back(result.authorization);

    requests << "{\"kind\":\"header\"," << identity_json(creds, c.region) << ",\"url\":\"" << address.scheme
             << "://" << address.authority << path << (query.empty() ? "" : "?") << query << "\",\"method\":\""
             << method_name(method) << "\",\"headers\":[[\"X-Amz-Content-SHA256\",\"" << payload_hash << "\"]";
    for (const auto& header : headers) requests << ",[\"" << header.name << "\",\"" << header.value << "\"]";
    requests << "],\"body_hex\":\"" << hex_of(body) << "\",\"unsigned_payload\":"
             << (payload_hash == unsigned_payload ? "true" : "false") << ",\"at\":\"" << amz_timestamp(at).text()
             << "\"}\n";
  }
  const auto theirs = botocore_answers(requests.str(), ours.size());
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < ours.size(); ++i) {
    if (ours[i] != theirs[i] && ++mismatches <= 5) {
      INFO("case " << i % 4 << ", key hex: " << hex_of(keys[i]));
      CHECK(ours[i] == theirs[i]);
    }
  }
  CHECK(mismatches == 0);
}
