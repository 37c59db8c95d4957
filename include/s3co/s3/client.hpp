// The S3 client: turns S3 operations into signed HTTP requests for any
// RequestSender (by default the Beast client, http/client.hpp), and answers
// that are not success into s3_error.
//
//   auto s3 = s3co::s3::client_from_environment(io.get_executor());  // s3/client_from_environment.hpp
//   co_await s3.put_object({.bucket = "b", .key = "k"}, "hello");
//
// Requests are addressed per aws/endpoint.hpp (path-style or virtual-hosted)
// and signed with SigV4 headers on every attempt (the transport calls back
// through request::authorize, so retries carry fresh signatures). In-memory
// bodies are signed with their SHA-256; bodies streamed from files are sent
// as UNSIGNED-PAYLOAD so they are read once. Each operation takes one
// argument struct, filled with designated initializers, that validates
// itself and names a bad field (aws::config_error) before anything is sent.
//
// The argument structs hold views and plain values only, so they can be
// written inline in a co_await expression (g++ 12 destroys a braced temporary
// that owns memory twice there). Payloads travel as separate arguments. The
// views must live until the operation completes: co_await the call at once,
// as with any Asio awaitable, or keep the viewed strings alive.
//
// S3's side of the retry decision lives here: the client hands the transport
// a classifier (request::classify) that reads S3's error code from an answer
// and learns the server's clock from its Date header, on the first answer
// and on RequestTimeTooSkewed (whose ServerTime serves when Date is missing). Every later signature, and presigner(), use
// that corrected clock, so a machine whose clock is off still signs requests
// and URLs that S3 accepts.
//
// Ownership: a client either borrows its sender (which must outlive it) or
// owns it (the unique_ptr constructor, as client_from_environment does). The
// client must outlive every operation it started and must not move meanwhile
// (requests call back into it); it is not movable. Operations may run
// concurrently, from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <pugixml.hpp>

#include "s3co/aws/config_error.hpp"
#include "s3co/aws/credentials.hpp"
#include "s3co/aws/endpoint.hpp"
#include "s3co/aws/header_signer.hpp"
#include "s3co/aws/live_credentials.hpp"
#include "s3co/aws/presigner.hpp"
#include "s3co/aws/retry_policy.hpp"
#include "s3co/aws/sha256.hpp"
#include "s3co/aws/uri_encoding.hpp"
#include "s3co/detail/text.hpp"
#include "s3co/http/message.hpp"
#include "s3co/s3/error.hpp"
#include "s3co/s3/request_sender.hpp"
#include "s3co/s3/xml.hpp"

namespace s3co::http {
class client;  // the default sender; include s3co/http/client.hpp to use it
}

namespace s3co::s3 {

// What a new object is stored with; the one place for its content type.
struct object_attributes {
  std::string_view content_type{};  // empty: S3's default (binary/octet-stream)
};

struct put_object_request {
  std::string_view bucket{};
  std::string_view key{};
  std::string_view body_file{};  // the body streamed from this file (flat memory) instead of the body argument
  object_attributes attributes{};
  bool if_none_match = false;  // only create: 412 PreconditionFailed when the key exists
};

// Bytes first..last of an object, both included (HTTP's Range).
struct byte_range {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
};

struct get_object_request {
  std::string_view bucket{};
  std::string_view key{};
  std::string_view to_file{};  // empty: the body comes back in memory (up to the transport's body limit)
  std::optional<byte_range> range{};
  std::string_view if_match{};  // an ETag: 412 PreconditionFailed when the object has changed
};

// UploadPartCopy: a part of `key`'s upload copied server-side from
// source_key's bytes `range` (whole object: none), pinned to source_etag
// when given.
struct upload_part_copy_request {
  std::string_view bucket{};
  std::string_view key{};
  std::string_view upload_id{};
  int part_number = 0;  // 1..10,000
  std::string_view source_bucket{};
  std::string_view source_key{};
  std::optional<byte_range> range{};
  std::string_view source_etag{};
};

struct delete_object_request {
  std::string_view bucket{};
  std::string_view key{};
};

struct list_multipart_uploads_request {
  std::string_view bucket{};
  std::string_view prefix{};
};

struct put_result {
  std::string etag{};
};

struct multipart_upload_info {
  std::string key{};
  std::string upload_id{};
};

struct completed_part {
  int part_number = 0;
  std::string etag{};
};

// Each throws aws::config_error naming the first bad field.
void validate(const put_object_request& request);
void validate(const get_object_request& request);
void validate(const upload_part_copy_request& request);
void validate(const delete_object_request& request);
void validate(const list_multipart_uploads_request& request);

// Where a client sends its requests and as whom.
struct client_settings {
  aws::credentials credentials{};
  std::string region{};
  aws::s3_endpoint endpoint{};
  std::string credentials_source = "explicit";  // for logs: where the credentials came from
  // When set, the credentials to sign with instead of `credentials`, followed
  // through their refreshes (credentials/refreshing_credentials.hpp).
  std::shared_ptr<const aws::live_credentials> live_credentials{};
};

// S3 answers RequestTimeTooSkewed to a request signed further than this
// from its clock, and accepts anything closer.
inline constexpr std::chrono::minutes max_accepted_skew{15};

template <RequestSender Sender = http::client>
class client {
 public:
  // Borrows `sender`, which must outlive the client.
  client(Sender& sender, client_settings settings);
  client(Sender& sender, aws::credentials credentials, std::string region, aws::s3_endpoint endpoint);
  // Owns its sender.
  client(std::unique_ptr<Sender> sender, client_settings settings);

  client(const client&) = delete;
  client& operator=(const client&) = delete;

  const aws::s3_endpoint& endpoint() const noexcept { return settings_.endpoint; }
  const std::string& region() const noexcept { return settings_.region; }
  // The credentials signing now (a copy: live credentials change).
  aws::credentials credentials() const;
  const std::string& credentials_source() const noexcept { return settings_.credentials_source; }
  Sender& sender() noexcept { return *sender_; }

  // The server's clock as far as the client knows it: local time corrected
  // by what the server's Date header said (0 until an answer showed a skew).
  std::chrono::milliseconds clock_offset() const noexcept { return clock_offset_.load(); }
  aws::utc_time_point now() const noexcept { return std::chrono::system_clock::now() + clock_offset(); }
  // False while no answer has said the server's time: a request S3 accepted
  // then only shows the clocks are within max_accepted_skew.
  bool server_time_known() const noexcept { return server_time_known_.load(); }

  // A presigner for this client's credentials, region and endpoint, on the
  // corrected clock at the time of the call. Presigners are not shared
  // between threads: take one per thread.
  aws::presigner presigner() const;

  // The raw building blocks: a request for (bucket, key) with a query, and
  // sending it, which throws s3_error unless the answer is 2xx.
  http::request make_request(aws::http_method method, std::string_view bucket, std::string_view key,
                             std::vector<aws::query_parameter> query = {}) const;
  boost::asio::awaitable<http::response> send(http::request request);

  boost::asio::awaitable<void> create_bucket(std::string bucket);
  boost::asio::awaitable<void> delete_bucket(std::string bucket);
  // `body` is signed with its SHA-256; give an empty one with body_file.
  boost::asio::awaitable<put_result> put_object(put_object_request request, std::string body);
  // With body_file, or an empty object. (An overload, not a default argument:
  // g++ 12 frees a defaulted class-type argument twice inside co_await.)
  boost::asio::awaitable<put_result> put_object(put_object_request request) {
    return put_object(request, std::string());
  }
  boost::asio::awaitable<std::string> get_object(get_object_request request);  // empty when to_file is set
  boost::asio::awaitable<void> delete_object(delete_object_request request);

  // Multipart building blocks (multipart_upload.hpp composes them safely).
  boost::asio::awaitable<std::string> create_multipart_upload(std::string bucket, std::string key,
                                                              object_attributes attributes);
  boost::asio::awaitable<std::string> upload_part_copy(upload_part_copy_request request);  // the part's ETag
  boost::asio::awaitable<std::string> upload_part(std::string bucket, std::string key, std::string upload_id,
                                                  int part_number, std::string body);
  // The same, sending bytes it does not own: they must outlive the returned
  // awaitable (a part buffer the caller fills again for the next part).
  boost::asio::awaitable<std::string> upload_part_borrowing(std::string bucket, std::string key,
                                                            std::string upload_id, int part_number,
                                                            std::string_view body);
  boost::asio::awaitable<put_result> complete_multipart_upload(std::string bucket, std::string key,
                                                               std::string upload_id,
                                                               std::vector<completed_part> parts);
  boost::asio::awaitable<void> abort_multipart_upload(std::string bucket, std::string key, std::string upload_id);
  boost::asio::awaitable<std::vector<multipart_upload_info>> list_multipart_uploads(
      list_multipart_uploads_request request);

 private:
  void authorize(http::request& request, aws::utc_time_point local_now) const;
  // Under signer_mutex_: the signer on the newest credentials; throws
  // aws::credentials_expired rather than sign with expired ones.
  void refresh_signer(aws::utc_time_point now) const;
  aws::failure_kind classify(const http::response& answer) const;
  void learn_server_time(const http::response& answer, bool skewed) const;

  std::unique_ptr<Sender> owned_sender_;
  Sender* sender_;
  client_settings settings_;
  mutable std::mutex signer_mutex_;  // header_signer caches its key and is not synchronised
  mutable aws::header_signer signer_;
  // Of settings_.live_credentials, under signer_mutex_; 0: the first signature takes the newest.
  mutable std::uint64_t signer_version_ = 0;
  mutable std::optional<aws::utc_time_point> signer_expiration_;  // of the signer's credentials, under signer_mutex_
  mutable std::atomic<std::chrono::milliseconds> clock_offset_{std::chrono::milliseconds(0)};
  mutable std::atomic<bool> server_time_known_{false};
};

// ---------------------------------------------------------------------------

namespace detail {

inline void set_borrowed_body(http::request& request, std::string_view body) {
  request.headers.push_back({"x-amz-content-sha256", aws::to_hex(aws::sha256_of(body))});
  request.body = http::borrowed_body{body};
}

inline void set_body(http::request& request, std::string body) {
  set_borrowed_body(request, body);
  request.body = std::move(body);
}

inline void apply_attributes(http::request& request, const object_attributes& attributes) {
  if (!attributes.content_type.empty()) request.headers.push_back({"Content-Type", std::string(attributes.content_type)});
}

inline void require_bucket_and_key(std::string_view bucket, std::string_view key) {
  if (bucket.empty()) throw aws::config_error("bucket", "must not be empty");
  if (key.empty()) throw aws::config_error("key", "must not be empty");
}

inline void validate_range(const byte_range& range, const char* field) {
  if (range.last < range.first) {
    throw aws::config_error(field, "ends (" + std::to_string(range.last) + ") before it starts (" +
                                       std::to_string(range.first) + ")");
  }
}

inline std::string range_header(const byte_range& range) {
  return "bytes=" + std::to_string(range.first) + "-" + std::to_string(range.last);
}

// Date has whole seconds: a smaller difference is the header's rounding.
inline constexpr std::chrono::milliseconds clock_tolerance{1500};

// The credentials a client starts signing with: the live ones when given.
inline const aws::credentials& initial_credentials(client_settings& settings) {
  if (settings.live_credentials) {
    settings.credentials = *settings.live_credentials->current();
    settings.credentials_source = settings.live_credentials->source();
  }
  return settings.credentials;
}

}  // namespace detail

inline void validate(const put_object_request& request) {
  detail::require_bucket_and_key(request.bucket, request.key);
}

inline void validate(const get_object_request& request) {
  detail::require_bucket_and_key(request.bucket, request.key);
  if (request.range) detail::validate_range(*request.range, "range");
}

inline void validate(const upload_part_copy_request& request) {
  detail::require_bucket_and_key(request.bucket, request.key);
  if (request.upload_id.empty()) throw aws::config_error("upload_id", "must not be empty");
  if (request.part_number < 1 || request.part_number > 10'000) {
    throw aws::config_error("part_number", std::to_string(request.part_number) + " is outside 1..10000");
  }
  if (request.source_bucket.empty()) throw aws::config_error("source_bucket", "must not be empty");
  if (request.source_key.empty()) throw aws::config_error("source_key", "must not be empty");
  if (request.range) detail::validate_range(*request.range, "range");
}

inline void validate(const delete_object_request& request) {
  detail::require_bucket_and_key(request.bucket, request.key);
}

inline void validate(const list_multipart_uploads_request& request) {
  if (request.bucket.empty()) throw aws::config_error("bucket", "must not be empty");
}

template <RequestSender Sender>
client<Sender>::client(Sender& sender, client_settings settings)
    : sender_(&sender),
      settings_(std::move(settings)),
      signer_(detail::initial_credentials(settings_), settings_.region),
      signer_expiration_(settings_.credentials.expiration) {}

template <RequestSender Sender>
client<Sender>::client(Sender& sender, aws::credentials credentials, std::string region, aws::s3_endpoint endpoint)
    : client(sender, client_settings{std::move(credentials), std::move(region), std::move(endpoint)}) {}

template <RequestSender Sender>
client<Sender>::client(std::unique_ptr<Sender> sender, client_settings settings)
    : owned_sender_(std::move(sender)),
      sender_(owned_sender_.get()),
      settings_(std::move(settings)),
      signer_(detail::initial_credentials(settings_), settings_.region),
      signer_expiration_(settings_.credentials.expiration) {
  if (!sender_) throw std::invalid_argument("s3::client: the sender is null");
}

template <RequestSender Sender>
aws::credentials client<Sender>::credentials() const {
  if (settings_.live_credentials) return *settings_.live_credentials->current();
  return settings_.credentials;
}

template <RequestSender Sender>
aws::presigner client<Sender>::presigner() const {
  aws::presigner signer = settings_.live_credentials
                              ? aws::presigner(settings_.live_credentials, settings_.region, settings_.endpoint)
                              : aws::presigner(settings_.credentials, settings_.region, settings_.endpoint);
  signer.set_clock_offset(clock_offset());
  return signer;
}

template <RequestSender Sender>
http::request client<Sender>::make_request(aws::http_method method, std::string_view bucket, std::string_view key,
                                           std::vector<aws::query_parameter> query) const {
  const aws::s3_endpoint& endpoint = settings_.endpoint;
  const aws::bucket_address address = aws::address_bucket(endpoint, bucket);
  http::request request;
  request.method = method;
  request.scheme = endpoint.scheme;
  std::string_view host = endpoint.host;
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);  // IPv6 for the resolver
  request.host = address.virtual_hosted ? std::string(bucket) + "." + std::string(host) : std::string(host);
  request.port = endpoint.port.value_or(endpoint.scheme == "https" ? 443 : 80);
  request.authority = address.authority;
  request.target = address.path_prefix;
  if (!key.empty()) {
    request.target.push_back('/');
    aws::append_uri_encoded(request.target, key, aws::slash_handling::keep);
  } else if (request.target.empty()) {
    request.target = "/";
  }
  if (!query.empty()) request.target.append("?").append(aws::canonical_query_string(std::move(query)));
  // The client outlives its requests (see Ownership above).
  request.authorize = [this](http::request& r, aws::utc_time_point local_now) { authorize(r, local_now); };
  request.classify = [this](const http::response& answer) { return classify(answer); };
  return request;
}

template <RequestSender Sender>
void client<Sender>::authorize(http::request& request, aws::utc_time_point local_now) const {
  // Drop what a previous attempt added, keep the caller's headers.
  std::string payload_hash(aws::empty_payload_sha256);
  if (std::holds_alternative<http::file_body>(request.body)) payload_hash = aws::unsigned_payload;
  std::vector<aws::header_field> signed_headers;
  for (auto it = request.headers.begin(); it != request.headers.end();) {
    if (s3co::detail::equals_ignoring_ascii_case(it->name, "x-amz-content-sha256")) payload_hash = it->value;
    // What a previous attempt added; a caller's Host goes on to the signer, which refuses it.
    if (aws::is_signer_owned_header(it->name) && !s3co::detail::equals_ignoring_ascii_case(it->name, "host")) {
      it = request.headers.erase(it);
    } else {
      signed_headers.push_back({it->name, it->value});
      ++it;
    }
  }
  const std::string_view target = request.target;
  const auto query_start = target.find('?');
  aws::signature_headers signature;
  const aws::utc_time_point server_now = local_now + clock_offset();
  {
    std::lock_guard lock(signer_mutex_);
    refresh_signer(server_now);
    signature = signer_.sign({request.method, request.authority, target.substr(0, query_start),
                              query_start == std::string_view::npos ? std::string_view{} : target.substr(query_start + 1),
                              signed_headers, payload_hash, server_now});
  }
  request.headers.push_back({"x-amz-content-sha256", std::move(signature.content_sha256)});
  request.headers.push_back({"x-amz-date", std::move(signature.amz_date)});
  if (!signature.security_token.empty()) {
    request.headers.push_back({"x-amz-security-token", std::move(signature.security_token)});
  }
  request.headers.push_back({"Authorization", std::move(signature.authorization)});
}

template <RequestSender Sender>
void client<Sender>::refresh_signer(aws::utc_time_point now) const {
  const bool signer_unexpired = !signer_expiration_ || now < *signer_expiration_;
  if (!settings_.live_credentials) {
    if (!signer_unexpired) {
      throw aws::credentials_expired("credentials from " + settings_.credentials_source + " have expired");
    }
    return;
  }
  const aws::live_credentials& live = *settings_.live_credentials;
  if (live.version() == signer_version_ && signer_unexpired) return;
  const std::shared_ptr<const aws::credentials> newest = live.current(&signer_version_);
  if (!aws::unexpired(*newest, now)) throw live.expired_error(*newest);
  signer_expiration_ = newest->expiration;
  signer_ = aws::header_signer(*newest, settings_.region);
}

template <RequestSender Sender>
aws::failure_kind client<Sender>::classify(const http::response& answer) const {
  const aws::failure_kind kind = aws::classify_response(answer.status, aws::find_error_code(answer.body));
  learn_server_time(answer, kind == aws::failure_kind::clock_skew);
  return kind;
}

template <RequestSender Sender>
void client<Sender>::learn_server_time(const http::response& answer, bool skewed) const {
  if (!skewed && server_time_known_.load(std::memory_order_relaxed)) return;
  auto server_time = aws::parse_http_date(answer.header("Date"));
  // A RequestTimeTooSkewed without a usable Date still says the server's time.
  if (!server_time && skewed) server_time = aws::parse_iso8601_utc(aws::find_error_element(answer.body, "ServerTime"));
  if (!server_time) return;
  const auto offset =
      std::chrono::duration_cast<std::chrono::milliseconds>(*server_time - std::chrono::system_clock::now());
  if (skewed || std::chrono::abs(offset) > detail::clock_tolerance) clock_offset_ = offset;
  server_time_known_ = true;
}

template <RequestSender Sender>
boost::asio::awaitable<http::response> client<Sender>::send(http::request request) {
  std::string description = request.describe();
  http::response response = co_await sender_->send(std::move(request));
  if (!response.ok()) {
    throw make_s3_error(description, response.status, response.body, response.header("x-amz-request-id"),
                        response.attempts);
  }
  co_return response;
}

template <RequestSender Sender>
boost::asio::awaitable<void> client<Sender>::create_bucket(std::string bucket) {
  if (bucket.empty()) throw aws::config_error("bucket", "must not be empty");
  http::request request = make_request(aws::http_method::put, bucket, {});
  if (settings_.region != "us-east-1") {
    detail::set_body(request, "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                              "<LocationConstraint>" + settings_.region + "</LocationConstraint></CreateBucketConfiguration>");
  }
  co_await send(std::move(request));
}

template <RequestSender Sender>
boost::asio::awaitable<void> client<Sender>::delete_bucket(std::string bucket) {
  if (bucket.empty()) throw aws::config_error("bucket", "must not be empty");
  co_await send(make_request(aws::http_method::delete_, bucket, {}));
}

template <RequestSender Sender>
boost::asio::awaitable<put_result> client<Sender>::put_object(put_object_request args, std::string body) {
  validate(args);
  if (!args.body_file.empty() && !body.empty()) {
    throw aws::config_error("body_file", "is set together with a body: give one of them");
  }
  http::request request = make_request(aws::http_method::put, args.bucket, args.key);
  detail::apply_attributes(request, args.attributes);
  if (args.if_none_match) request.headers.push_back({"If-None-Match", "*"});
  if (!args.body_file.empty()) {
    request.body = http::file_body{std::string(args.body_file)};
  } else {
    detail::set_body(request, std::move(body));
  }
  const http::response response = co_await send(std::move(request));
  co_return put_result{std::string(response.header("ETag"))};
}

template <RequestSender Sender>
boost::asio::awaitable<std::string> client<Sender>::get_object(get_object_request args) {
  validate(args);
  http::request request = make_request(aws::http_method::get, args.bucket, args.key);
  request.response_file = args.to_file;
  if (args.range) request.headers.push_back({"Range", detail::range_header(*args.range)});
  if (!args.if_match.empty()) request.headers.push_back({"If-Match", std::string(args.if_match)});
  http::response response = co_await send(std::move(request));
  co_return std::move(response.body);
}

template <RequestSender Sender>
boost::asio::awaitable<void> client<Sender>::delete_object(delete_object_request args) {
  validate(args);
  co_await send(make_request(aws::http_method::delete_, args.bucket, args.key));
}

template <RequestSender Sender>
boost::asio::awaitable<std::string> client<Sender>::create_multipart_upload(std::string bucket, std::string key,
                                                                            object_attributes attributes) {
  detail::require_bucket_and_key(bucket, key);
  http::request request = make_request(aws::http_method::post, bucket, key, {{"uploads", ""}});
  detail::apply_attributes(request, attributes);
  detail::set_body(request, {});
  http::response response = co_await send(std::move(request));
  pugi::xml_document document;
  const auto operation = "CreateMultipartUpload " + bucket + "/" + key;
  const pugi::xml_node root = detail::parse_xml_root(document, response.body, "InitiateMultipartUploadResult", operation);
  std::string upload_id = root.child_value("UploadId");
  if (upload_id.empty()) detail::throw_malformed(operation, "response has no UploadId");
  co_return upload_id;
}

template <RequestSender Sender>
boost::asio::awaitable<std::string> client<Sender>::upload_part(std::string bucket, std::string key,
                                                                std::string upload_id, int part_number,
                                                                std::string body) {
  // `body` lives in this frame until the part is answered.
  co_return co_await upload_part_borrowing(std::move(bucket), std::move(key), std::move(upload_id), part_number,
                                           body);
}

template <RequestSender Sender>
boost::asio::awaitable<std::string> client<Sender>::upload_part_borrowing(std::string bucket, std::string key,
                                                                          std::string upload_id, int part_number,
                                                                          std::string_view body) {
  http::request request = make_request(aws::http_method::put, bucket, key,
                                       {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}});
  detail::set_borrowed_body(request, body);
  const http::response response = co_await send(std::move(request));
  std::string etag(response.header("ETag"));
  if (etag.empty()) {
    const std::string operation = "UploadPart " + bucket + "/" + key + " part " + std::to_string(part_number);
    detail::throw_malformed(operation, "response has no ETag");
  }
  co_return etag;
}

template <RequestSender Sender>
boost::asio::awaitable<std::string> client<Sender>::upload_part_copy(upload_part_copy_request args) {
  validate(args);
  const std::string operation = "UploadPartCopy " + std::string(args.bucket) + "/" + std::string(args.key) +
                                " part " + std::to_string(args.part_number) + " from " +
                                std::string(args.source_bucket) + "/" + std::string(args.source_key);
  std::vector<aws::query_parameter> query{{"partNumber", std::to_string(args.part_number)},
                                          {"uploadId", std::string(args.upload_id)}};
  http::request request = make_request(aws::http_method::put, args.bucket, args.key, std::move(query));
  std::string source = "/" + std::string(args.source_bucket) + "/";
  aws::append_uri_encoded(source, args.source_key, aws::slash_handling::keep);
  request.headers.push_back({"x-amz-copy-source", std::move(source)});
  if (args.range) request.headers.push_back({"x-amz-copy-source-range", detail::range_header(*args.range)});
  if (!args.source_etag.empty()) request.headers.push_back({"x-amz-copy-source-if-match", std::string(args.source_etag)});
  detail::set_body(request, {});
  http::response response = co_await send(std::move(request));
  // Like CompleteMultipartUpload, a copy may answer 200 with an <Error> body.
  pugi::xml_document document;
  if (document.load_buffer(response.body.data(), response.body.size()) && document.child("Error")) {
    throw make_s3_error(operation, response.status, response.body, response.header("x-amz-request-id"),
                        response.attempts);
  }
  const pugi::xml_node root = detail::parse_xml_root(document, response.body, "CopyPartResult", operation);
  std::string etag = root.child_value("ETag");
  if (etag.empty()) detail::throw_malformed(operation, "response has no ETag");
  co_return etag;
}

template <RequestSender Sender>
boost::asio::awaitable<put_result> client<Sender>::complete_multipart_upload(std::string bucket, std::string key,
                                                                             std::string upload_id,
                                                                             std::vector<completed_part> parts) {
  std::string body = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (const auto& part : parts) {
    body.append("<Part><PartNumber>").append(std::to_string(part.part_number)).append("</PartNumber><ETag>");
    for (const char c : part.etag) {  // ETags are quoted: escape for XML
      if (c == '"') body.append("&quot;");
      else if (c == '&') body.append("&amp;");
      else if (c == '<') body.append("&lt;");
      else body.push_back(c);
    }
    body.append("</ETag></Part>");
  }
  body.append("</CompleteMultipartUpload>");
  http::request request = make_request(aws::http_method::post, bucket, key, {{"uploadId", upload_id}});
  request.headers.push_back({"Content-Type", "application/xml"});
  detail::set_body(request, std::move(body));
  http::response response = co_await send(std::move(request));
  // S3 may answer 200 with an <Error> body once the work is done: check it.
  pugi::xml_document document;
  const auto operation = "CompleteMultipartUpload " + bucket + "/" + key;
  if (document.load_buffer(response.body.data(), response.body.size()) && document.child("Error")) {
    throw make_s3_error(operation, response.status, response.body, response.header("x-amz-request-id"),
                        response.attempts);
  }
  const pugi::xml_node root = detail::parse_xml_root(document, response.body, "CompleteMultipartUploadResult", operation);
  // radosgw leaves <ETag> empty here: not an error.
  co_return put_result{root.child_value("ETag")};
}

template <RequestSender Sender>
boost::asio::awaitable<void> client<Sender>::abort_multipart_upload(std::string bucket, std::string key,
                                                                    std::string upload_id) {
  // (g++ 12 rejects a braced list inside a co_await expression.)
  std::vector<aws::query_parameter> query{{"uploadId", std::move(upload_id)}};
  co_await send(make_request(aws::http_method::delete_, bucket, key, std::move(query)));
}

template <RequestSender Sender>
boost::asio::awaitable<std::vector<multipart_upload_info>> client<Sender>::list_multipart_uploads(
    list_multipart_uploads_request args) {
  validate(args);
  const std::string bucket(args.bucket);
  const std::string prefix(args.prefix);
  const std::string operation = "ListMultipartUploads " + bucket;
  std::vector<multipart_upload_info> uploads;
  std::string key_marker;
  std::string upload_id_marker;
  for (;;) {
    std::vector<aws::query_parameter> query{{"uploads", ""}, {"encoding-type", "url"}};
    if (!prefix.empty()) query.push_back({"prefix", prefix});
    if (!key_marker.empty()) query.push_back({"key-marker", key_marker});
    if (!upload_id_marker.empty()) query.push_back({"upload-id-marker", upload_id_marker});
    http::response response = co_await send(make_request(aws::http_method::get, bucket, {}, std::move(query)));
    pugi::xml_document document;
    const pugi::xml_node root = detail::parse_xml_root(document, response.body, "ListMultipartUploadsResult", operation);
    const bool url_encoded = std::string_view(root.child_value("EncodingType")) == "url";
    for (const pugi::xml_node upload : root.children("Upload")) {
      const pugi::xml_node key = upload.child("Key");
      const std::string_view upload_id = upload.child_value("UploadId");
      if (!key || upload_id.empty()) {
        detail::throw_malformed(operation, "an upload has no <Key> or <UploadId>");
      }
      uploads.push_back({detail::decoded_field(key.child_value(), url_encoded, operation), std::string(upload_id)});
    }
    const std::string_view truncated = root.child_value("IsTruncated");
    if (truncated != "true" && truncated != "false") {
      detail::throw_malformed(operation, "response has no valid <IsTruncated>");
    }
    if (truncated == "false") break;
    std::string next_key_marker = detail::decoded_field(root.child_value("NextKeyMarker"), url_encoded, operation);
    std::string next_upload_id_marker = root.child_value("NextUploadIdMarker");
    if (next_key_marker.empty() && next_upload_id_marker.empty()) {
      detail::throw_malformed(operation, "truncated without a marker");
    }
    if (next_key_marker == key_marker && next_upload_id_marker == upload_id_marker) {
      detail::throw_malformed(operation, "the markers did not advance");
    }
    key_marker = std::move(next_key_marker);
    upload_id_marker = std::move(next_upload_id_marker);
  }
  co_return uploads;
}

}  // namespace s3co::s3

#if defined(S3CO_SEPARATE_COMPILATION)
// Separate compilation (detail/config.hpp): the client over the Beast
// transport is compiled once, by s3co/src.hpp.
#include "s3co/http/client.hpp"
extern template class s3co::s3::client<s3co::http::client>;
#endif
