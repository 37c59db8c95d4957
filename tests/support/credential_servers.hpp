// Local stand-ins for the endpoints that hand out credentials, speaking
// their real protocols (botocore's own providers are run against them in
// credentials/botocore_providers_test.cpp, which proves it):
//
// - imds_server: EC2 instance metadata, IMDSv2. PUT /latest/api/token needs
//   X-aws-ec2-metadata-token-ttl-seconds (1..21600) and answers a token that
//   expires after that TTL; every GET needs a live token (401 otherwise,
//   unless IMDSv1 is allowed); the role list, the role's credentials JSON,
//   and placement/region.
// - container_server: the ECS/EKS container endpoint: GET of one path, with
//   the Authorization header it expects (401 otherwise), answering JSON.
// - sts_server: STS's query API over POST: AssumeRoleWithWebIdentity with
//   the expected token, AssumeRole with a SigV4 Authorization whose
//   credential is the expected source key (403 otherwise), answering XML.
//
// Each serves `issued` credentials, which a test may change at any time
// (set_issued), and lets a test break it: answer a status, a malformed
// body, or stall (fault), or answer late (set_delay). Lifetime: each owns its test_http_server (and so
// its thread); state is behind a mutex, read by the server thread.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "s3co/aws/amz_time.hpp"
#include "s3co/aws/credentials.hpp"
#include "support/test_http_server.hpp"

namespace s3co::testing {

struct issued_credentials {
  std::string access_key_id = "ASIATESTKEYID0000001";
  std::string secret_access_key = "test/secret+access/key0000000000000000001";
  std::string session_token = "IQoJb3JpZ2luX2VjEXAMPLE/token+0001==";
  aws::utc_time_point expiration = std::chrono::system_clock::now() + std::chrono::hours(6);
  // When set, each answer expires this long after it is given, instead of at `expiration`.
  std::optional<std::chrono::milliseconds> lives_for{};

  aws::utc_time_point expiration_of_answer() const {
    return lives_for ? std::chrono::system_clock::now() + *lives_for : expiration;
  }
};

// `2026-12-04T22:00:00Z`, as AWS writes Expiration.
inline std::string iso8601(aws::utc_time_point when) {
  const std::string compact(aws::amz_timestamp(when).text());  // 20261204T220000Z
  return compact.substr(0, 4) + "-" + compact.substr(4, 2) + "-" + compact.substr(6, 2) + "T" + compact.substr(9, 2) +
         ":" + compact.substr(11, 2) + ":" + compact.substr(13, 2) + "Z";
}

// Whether `got` is what a server handed out as `issued` (Expiration has
// whole seconds).
inline bool same_as_issued(const aws::credentials& got, const issued_credentials& issued) {
  return got.access_key_id == issued.access_key_id && got.secret_access_key == issued.secret_access_key &&
         got.session_token == issued.session_token && got.expiration &&
         std::chrono::abs(*got.expiration - issued.expiration) < std::chrono::seconds(1);
}

enum class server_fault { none, status, malformed, stall };

// What a server does instead of answering well.
struct fault_plan {
  server_fault kind = server_fault::none;
  unsigned status = 500;
  std::string body{};  // with `malformed` (or as the error body with `status`)
};

class credentials_server_base {
 public:
  void set_issued(issued_credentials issued) {
    std::lock_guard lock(mutex_);
    issued_ = std::move(issued);
  }
  issued_credentials issued() const {
    std::lock_guard lock(mutex_);
    return issued_;
  }
  void set_fault(fault_plan fault) {
    std::lock_guard lock(mutex_);
    fault_ = std::move(fault);
  }
  // Every answer waits this long first: a slow provider.
  void set_delay(std::chrono::milliseconds delay) { delay_ms_ = delay.count(); }

 protected:
  // The fault's reply, or nullopt to answer normally (after the delay, if any).
  std::optional<test_http_reply> fault_reply() const {
    if (const auto delay = delay_ms_.load(); delay > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    std::lock_guard lock(mutex_);
    switch (fault_.kind) {
      case server_fault::none: return std::nullopt;
      case server_fault::status: {
        test_http_reply reply;
        reply.status = fault_.status;
        reply.body = fault_.body;
        return reply;
      }
      case server_fault::malformed: return reply_ok(fault_.body);
      case server_fault::stall: return reply_stall();
    }
    return std::nullopt;
  }

  static test_http_reply status_reply(unsigned status, std::string body = {}) {
    test_http_reply reply;
    reply.status = status;
    reply.body = std::move(body);
    return reply;
  }

  std::string credentials_json(std::string_view token_field) const {
    const issued_credentials now = issued();
    return "{\"Code\":\"Success\",\"LastUpdated\":\"" + iso8601(std::chrono::system_clock::now()) +
           "\",\"Type\":\"AWS-HMAC\",\"AccessKeyId\":\"" + now.access_key_id + "\",\"SecretAccessKey\":\"" +
           now.secret_access_key + "\",\"" + std::string(token_field) + "\":\"" + now.session_token +
           "\",\"Expiration\":\"" + iso8601(now.expiration_of_answer()) + "\"}";
  }

  mutable std::mutex mutex_;
  issued_credentials issued_{};
  fault_plan fault_{};
  std::atomic<std::chrono::milliseconds::rep> delay_ms_{0};
};

class imds_server : public credentials_server_base {
 public:
  explicit imds_server(std::string role = "s3co-test-role", std::string region = "eu-central-1")
      : role_(std::move(role)), region_(std::move(region)), server_([this](const test_http_request& r) { return answer(r); }) {}

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
  std::size_t tokens_issued() const noexcept { return tokens_issued_.load(); }
  std::size_t rejected_tokens() const noexcept { return rejected_tokens_.load(); }
  void allow_imdsv1(bool allowed) { imdsv1_allowed_ = allowed; }
  void refuse_tokens(unsigned status) { token_refusal_ = status; }  // 0: issue them
  // Makes every token issued so far invalid, as a reboot or TTL would.
  void revoke_tokens() {
    std::lock_guard lock(mutex_);
    tokens_.clear();
  }
  const test_http_server& http() const noexcept { return server_; }

 private:
  test_http_reply answer(const test_http_request& request) {
    if (auto fault = fault_reply()) return *fault;
    if (request.method == "PUT" && request.target == "/latest/api/token") {
      if (token_refusal_ != 0) return status_reply(token_refusal_);
      const std::string ttl_text = request.header("x-aws-ec2-metadata-token-ttl-seconds");
      int ttl = 0;
      try {
        ttl = std::stoi(ttl_text);
      } catch (const std::exception&) {
        return status_reply(400);
      }
      if (ttl < 1 || ttl > 21600) return status_reply(400);
      const std::string token = "imds-token-" + std::to_string(++tokens_issued_);
      std::lock_guard lock(mutex_);
      tokens_[token] = std::chrono::steady_clock::now() + std::chrono::seconds(ttl);
      test_http_reply reply = reply_ok(token);
      reply.headers.push_back({"X-aws-ec2-metadata-token-ttl-seconds", ttl_text});
      return reply;
    }
    if (request.method != "GET") return status_reply(405);
    const std::string token = request.header("x-aws-ec2-metadata-token");
    if (token.empty()) {
      if (!imdsv1_allowed_) return status_reply(401);
    } else {
      std::lock_guard lock(mutex_);
      const auto found = tokens_.find(token);
      if (found == tokens_.end() || std::chrono::steady_clock::now() >= found->second) {
        ++rejected_tokens_;
        return status_reply(401);
      }
    }
    const std::string base = "/latest/meta-data/iam/security-credentials/";
    if (request.target == base) return reply_ok(role_);
    if (request.target == base + role_) return reply_ok(credentials_json("Token"));
    if (request.target == "/latest/meta-data/placement/region") return reply_ok(region_);
    return status_reply(404);
  }

  std::string role_;
  std::string region_;
  std::map<std::string, std::chrono::steady_clock::time_point> tokens_;
  std::atomic<std::size_t> tokens_issued_{0};
  std::atomic<std::size_t> rejected_tokens_{0};
  std::atomic<bool> imdsv1_allowed_{false};
  std::atomic<unsigned> token_refusal_{0};
  test_http_server server_;  // last: it calls answer() until it is destroyed, first
};

class container_server : public credentials_server_base {
 public:
  explicit container_server(std::string path = "/v2/credentials/task-1234", std::string token = {})
      : path_(std::move(path)), token_(std::move(token)),
        server_([this](const test_http_request& r) { return answer(r); }) {}

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()) + path_; }
  void expect_token(std::string token) {
    std::lock_guard lock(mutex_);
    token_ = std::move(token);
  }
  const test_http_server& http() const noexcept { return server_; }

 private:
  test_http_reply answer(const test_http_request& request) {
    if (auto fault = fault_reply()) return *fault;
    {
      std::lock_guard lock(mutex_);
      if (!token_.empty() && request.header("Authorization") != token_) {
        return status_reply(401, "{\"code\":\"AccessDenied\",\"message\":\"bad token\"}");
      }
    }
    if (request.method != "GET" || request.target != path_) return status_reply(404);
    return reply_ok(credentials_json("Token"));
  }

  std::string path_;
  std::string token_;
  test_http_server server_;
};

// The form fields of a POST body (a=b&c=d, percent-decoded, + as space).
inline std::map<std::string, std::string> form_fields(std::string_view body) {
  const auto decode = [](std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '+') {
        out.push_back(' ');
      } else if (text[i] == '%' && i + 2 < text.size()) {
        out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
        i += 2;
      } else {
        out.push_back(text[i]);
      }
    }
    return out;
  };
  std::map<std::string, std::string> fields;
  std::size_t start = 0;
  while (start <= body.size()) {
    auto end = body.find('&', start);
    if (end == std::string_view::npos) end = body.size();
    const std::string_view pair = body.substr(start, end - start);
    const auto equals = pair.find('=');
    if (!pair.empty()) fields[decode(pair.substr(0, equals))] = equals == std::string_view::npos ? "" : decode(pair.substr(equals + 1));
    start = end + 1;
  }
  return fields;
}

class sts_server : public credentials_server_base {
 public:
  explicit sts_server(std::string web_identity_token = "eyJhbGciOiJSUzI1NiJ9.test-web-identity-token.sig",
                      std::string source_access_key = "AKIASOURCEPROFILE001")
      : web_identity_token_(std::move(web_identity_token)), source_access_key_(std::move(source_access_key)),
        server_([this](const test_http_request& r) { return answer(r); }) {}

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
  void expect_web_identity_token(std::string token) {
    std::lock_guard lock(mutex_);
    web_identity_token_ = std::move(token);
  }
  std::vector<test_http_request> received() const { return server_.received(); }
  const test_http_server& http() const noexcept { return server_; }

 private:
  static test_http_reply sts_error(unsigned status, std::string_view code, std::string_view message) {
    return status_reply(status, "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>"
                                "<Type>Sender</Type><Code>" + std::string(code) + "</Code><Message>" +
                                    std::string(message) + "</Message></Error><RequestId>test-request</RequestId>"
                                                           "</ErrorResponse>");
  }

  test_http_reply answer(const test_http_request& request) {
    if (auto fault = fault_reply()) return *fault;
    if (request.method != "POST") return sts_error(400, "InvalidAction", "STS takes POST");
    const auto fields = form_fields(request.body);
    const auto field = [&](const char* name) {
      const auto found = fields.find(name);
      return found == fields.end() ? std::string() : found->second;
    };
    if (field("Version") != "2011-06-15") return sts_error(400, "InvalidParameterValue", "Version");
    const std::string action = field("Action");
    if (field("RoleArn").empty() || field("RoleSessionName").empty()) {
      return sts_error(400, "MissingParameter", "RoleArn and RoleSessionName are required");
    }
    if (action == "AssumeRoleWithWebIdentity") {
      std::lock_guard lock(mutex_);
      if (field("WebIdentityToken") != web_identity_token_) {
        return sts_error(400, "InvalidIdentityToken", "The web identity token is not valid");
      }
    } else if (action == "AssumeRole") {
      const std::string authorization = request.header("Authorization");
      const std::string expected = "AWS4-HMAC-SHA256 Credential=" + source_access_key_ + "/";
      if (authorization.rfind(expected, 0) != 0 || authorization.find("/sts/aws4_request") == std::string::npos) {
        return sts_error(403, "AccessDenied", "The request is not signed by the source profile");
      }
    } else {
      return sts_error(400, "InvalidAction", "Unknown action");
    }
    const issued_credentials now = issued();
    test_http_reply reply = reply_ok(
        "<" + action + "Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><" + action + "Result>"
        "<Credentials><AccessKeyId>" + now.access_key_id + "</AccessKeyId><SecretAccessKey>" + now.secret_access_key +
        "</SecretAccessKey><SessionToken>" + now.session_token + "</SessionToken><Expiration>" +
        iso8601(now.expiration_of_answer()) + "</Expiration></Credentials><AssumedRoleUser><Arn>" + field("RoleArn") +
        "/" + field("RoleSessionName") + "</Arn><AssumedRoleId>AROATEST:" + field("RoleSessionName") +
        "</AssumedRoleId></AssumedRoleUser></" + action + "Result><ResponseMetadata><RequestId>test-request"
        "</RequestId></ResponseMetadata></" + action + "Response>");
    reply.headers.push_back({"Content-Type", "text/xml"});
    return reply;
  }

  std::string web_identity_token_;
  std::string source_access_key_;
  test_http_server server_;
};

}  // namespace s3co::testing
