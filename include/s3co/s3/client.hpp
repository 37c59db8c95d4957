// The S3 client: turns S3 operations into signed HTTP requests for any
// RequestSender, and answers that are not success into s3_error.
//
// Requests are addressed per aws/endpoint.hpp (path-style or virtual-hosted)
// and signed with SigV4 headers on every attempt (the transport calls back
// through request::authorize, so retries carry fresh signatures). In-memory
// bodies are signed with their SHA-256; bodies streamed from files are sent
// as UNSIGNED-PAYLOAD so they are read once.
//
// Ownership: the client refers to its sender, which must outlive it; the
// client must outlive every operation it started. Operations may run
// concurrently, from any thread.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <pugixml.hpp>

#include "s3co/aws/credentials.hpp"
#include "s3co/aws/endpoint.hpp"
#include "s3co/aws/header_signer.hpp"
#include "s3co/aws/sha256.hpp"
#include "s3co/aws/uri_encoding.hpp"
#include "s3co/http/message.hpp"
#include "s3co/s3/error.hpp"
#include "s3co/s3/request_sender.hpp"

namespace s3co::s3 {

struct put_options {
  std::string content_type;
  bool if_none_match = false;  // only create: 412 PreconditionFailed when the key exists
};

struct put_result {
  std::string etag;
};

struct multipart_upload_info {
  std::string key;
  std::string upload_id;
};

struct completed_part {
  int part_number = 0;
  std::string etag;
};

template <RequestSender Sender>
class client {
 public:
  client(Sender& sender, aws::credentials credentials, std::string region, aws::s3_endpoint endpoint);

  const aws::s3_endpoint& endpoint() const noexcept { return endpoint_; }
  const std::string& region() const noexcept { return region_; }
  const aws::credentials& credentials() const noexcept { return credentials_; }
  Sender& sender() noexcept { return sender_; }

  // The raw building blocks: a request for (bucket, key) with a query, and
  // sending it, which throws s3_error unless the answer is 2xx.
  http::request make_request(aws::http_method method, std::string_view bucket, std::string_view key,
                             std::vector<aws::query_parameter> query = {}) const;
  boost::asio::awaitable<http::response> send(http::request request);

  // (No coroutine here takes a defaulted class-type argument: g++ 12 frees
  // such a default twice when the call sits in a co_await. Overloads instead.)
  boost::asio::awaitable<void> create_bucket(std::string bucket);
  boost::asio::awaitable<void> delete_bucket(std::string bucket);
  boost::asio::awaitable<put_result> put_object(std::string bucket, std::string key, std::string body,
                                                put_options options);
  boost::asio::awaitable<put_result> put_object(std::string bucket, std::string key, std::string body) {
    return put_object(std::move(bucket), std::move(key), std::move(body), put_options());
  }
  boost::asio::awaitable<put_result> put_object_from_file(std::string bucket, std::string key, std::string path,
                                                          put_options options);
  boost::asio::awaitable<put_result> put_object_from_file(std::string bucket, std::string key, std::string path) {
    return put_object_from_file(std::move(bucket), std::move(key), std::move(path), put_options());
  }
  boost::asio::awaitable<std::string> get_object(std::string bucket, std::string key);
  boost::asio::awaitable<void> get_object_to_file(std::string bucket, std::string key, std::string path);
  boost::asio::awaitable<void> delete_object(std::string bucket, std::string key);

  boost::asio::awaitable<std::string> create_multipart_upload(std::string bucket, std::string key,
                                                              std::string content_type);
  boost::asio::awaitable<std::string> upload_part(std::string bucket, std::string key, std::string upload_id,
                                                  int part_number, std::string body);
  boost::asio::awaitable<put_result> complete_multipart_upload(std::string bucket, std::string key,
                                                               std::string upload_id,
                                                               std::vector<completed_part> parts);
  boost::asio::awaitable<void> abort_multipart_upload(std::string bucket, std::string key, std::string upload_id);
  boost::asio::awaitable<std::vector<multipart_upload_info>> list_multipart_uploads(std::string bucket,
                                                                                    std::string prefix);
  boost::asio::awaitable<std::vector<multipart_upload_info>> list_multipart_uploads(std::string bucket) {
    return list_multipart_uploads(std::move(bucket), std::string());
  }

 private:
  void authorize(http::request& request, aws::time_point now) const;

  Sender& sender_;
  aws::credentials credentials_;
  std::string region_;
  aws::s3_endpoint endpoint_;
  mutable std::mutex signer_mutex_;  // header_signer caches its key and is not synchronised
  mutable aws::header_signer signer_;
};

// ---------------------------------------------------------------------------

namespace detail {

inline void set_body(http::request& request, std::string body) {
  request.headers.push_back({"x-amz-content-sha256", aws::to_hex(aws::sha256_of(body))});
  request.body = std::move(body);
}

inline std::string operation_name(const http::request& request, std::string_view bucket, std::string_view key) {
  std::string name(aws::method_name(request.method));
  name.append(" ").append(bucket);
  if (!key.empty()) name.append("/").append(key);
  return name;
}

inline void apply_put_options(http::request& request, const put_options& options) {
  if (!options.content_type.empty()) request.headers.push_back({"Content-Type", options.content_type});
  if (options.if_none_match) request.headers.push_back({"If-None-Match", "*"});
}

// pugixml over a body owned by the caller; malformed XML is an error.
// Whitespace-only text is kept: a key (and radosgw's continuation token,
// which is the last key, raw) may be just a tab or a space.
inline pugi::xml_node parse_xml_root(pugi::xml_document& document, std::string& body, const char* root,
                                     std::string_view operation) {
  const auto parsed =
      document.load_buffer_inplace(body.data(), body.size(), pugi::parse_default | pugi::parse_ws_pcdata_single);
  if (!parsed) {
    throw malformed_response(std::string(operation) + ": malformed XML response (" + parsed.description() + ")");
  }
  const pugi::xml_node node = document.child(root);
  if (!node) throw malformed_response(std::string(operation) + ": response has no <" + root + ">");
  return node;
}

}  // namespace detail

template <RequestSender Sender>
client<Sender>::client(Sender& sender, aws::credentials credentials, std::string region, aws::s3_endpoint endpoint)
    : sender_(sender),
      credentials_(std::move(credentials)),
      region_(std::move(region)),
      endpoint_(std::move(endpoint)),
      signer_(credentials_, region_) {}

template <RequestSender Sender>
http::request client<Sender>::make_request(aws::http_method method, std::string_view bucket, std::string_view key,
                                           std::vector<aws::query_parameter> query) const {
  const aws::bucket_address address = aws::address_bucket(endpoint_, bucket);
  http::request request;
  request.method = method;
  request.scheme = endpoint_.scheme;
  std::string_view host = endpoint_.host;
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);  // IPv6 for the resolver
  request.host = address.virtual_hosted ? std::string(bucket) + "." + std::string(host) : std::string(host);
  request.port = endpoint_.port.value_or(endpoint_.scheme == "https" ? 443 : 80);
  request.authority = address.authority;
  request.target = address.path_prefix;
  if (!key.empty()) {
    request.target.push_back('/');
    aws::append_uri_encoded(request.target, key, aws::slash_handling::keep);
  } else if (request.target.empty()) {
    request.target = "/";
  }
  if (!query.empty()) request.target.append("?").append(aws::canonical_query_string(std::move(query)));
  request.authorize = [this](http::request& r, aws::time_point now) { authorize(r, now); };
  return request;
}

template <RequestSender Sender>
void client<Sender>::authorize(http::request& request, aws::time_point now) const {
  // Drop what a previous attempt added, keep the caller's headers.
  std::string payload_hash(aws::empty_payload_sha256);
  if (std::holds_alternative<http::file_body>(request.body)) payload_hash = aws::unsigned_payload;
  std::vector<aws::http_header> signed_headers;
  for (auto it = request.headers.begin(); it != request.headers.end();) {
    const std::string name = aws::detail::lower_ascii(it->name);
    if (name == "x-amz-content-sha256") {
      payload_hash = it->value;
    }
    if (name == "authorization" || name == "x-amz-date" || name == "x-amz-content-sha256" ||
        name == "x-amz-security-token") {
      it = request.headers.erase(it);
    } else {
      signed_headers.push_back(*it);
      ++it;
    }
  }
  const std::string_view target = request.target;
  const auto query_start = target.find('?');
  aws::signature_headers signature;
  {
    std::lock_guard lock(signer_mutex_);
    signature = signer_.sign({request.method, request.authority, target.substr(0, query_start),
                              query_start == std::string_view::npos ? std::string_view{} : target.substr(query_start + 1),
                              signed_headers, payload_hash, now});
  }
  request.headers.push_back({"x-amz-content-sha256", std::move(signature.content_sha256)});
  request.headers.push_back({"x-amz-date", std::move(signature.amz_date)});
  if (!signature.security_token.empty()) {
    request.headers.push_back({"x-amz-security-token", std::move(signature.security_token)});
  }
  request.headers.push_back({"Authorization", std::move(signature.authorization)});
}

template <RequestSender Sender>
boost::asio::awaitable<http::response> client<Sender>::send(http::request request) {
  std::string description = request.describe();
  http::response response = co_await sender_.send(std::move(request));
  if (!response.ok()) {
    throw make_s3_error(description, response.status, response.body, response.header("x-amz-request-id"));
  }
  co_return response;
}

template <RequestSender Sender>
boost::asio::awaitable<void> client<Sender>::create_bucket(std::string bucket) {
  http::request request = make_request(aws::http_method::put, bucket, {});
  if (region_ != "us-east-1") {
    detail::set_body(request, "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                              "<LocationConstraint>" + region_ + "</LocationConstraint></CreateBucketConfiguration>");
  }
  co_await send(std::move(request));
}

template <RequestSender Sender>
boost::asio::awaitable<void> client<Sender>::delete_bucket(std::string bucket) {
  co_await send(make_request(aws::http_method::delete_, bucket, {}));
}

template <RequestSender Sender>
boost::asio::awaitable<put_result> client<Sender>::put_object(std::string bucket, std::string key, std::string body,
                                                              put_options options) {
  http::request request = make_request(aws::http_method::put, bucket, key);
  detail::apply_put_options(request, options);
  detail::set_body(request, std::move(body));
  const http::response response = co_await send(std::move(request));
  co_return put_result{std::string(response.header("ETag"))};
}

template <RequestSender Sender>
boost::asio::awaitable<put_result> client<Sender>::put_object_from_file(std::string bucket, std::string key,
                                                                        std::string path, put_options options) {
  http::request request = make_request(aws::http_method::put, bucket, key);
  detail::apply_put_options(request, options);
  request.body = http::file_body{std::move(path)};
  const http::response response = co_await send(std::move(request));
  co_return put_result{std::string(response.header("ETag"))};
}

template <RequestSender Sender>
boost::asio::awaitable<std::string> client<Sender>::get_object(std::string bucket, std::string key) {
  http::response response = co_await send(make_request(aws::http_method::get, bucket, key));
  co_return std::move(response.body);
}

template <RequestSender Sender>
boost::asio::awaitable<void> client<Sender>::get_object_to_file(std::string bucket, std::string key,
                                                                std::string path) {
  http::request request = make_request(aws::http_method::get, bucket, key);
  request.response_file = std::move(path);
  co_await send(std::move(request));
}

template <RequestSender Sender>
boost::asio::awaitable<void> client<Sender>::delete_object(std::string bucket, std::string key) {
  co_await send(make_request(aws::http_method::delete_, bucket, key));
}

template <RequestSender Sender>
boost::asio::awaitable<std::string> client<Sender>::create_multipart_upload(std::string bucket, std::string key,
                                                                            std::string content_type) {
  http::request request = make_request(aws::http_method::post, bucket, key, {{"uploads", ""}});
  if (!content_type.empty()) request.headers.push_back({"Content-Type", std::move(content_type)});
  detail::set_body(request, {});
  http::response response = co_await send(std::move(request));
  pugi::xml_document document;
  const auto operation = "CreateMultipartUpload " + bucket + "/" + key;
  const pugi::xml_node root = detail::parse_xml_root(document, response.body, "InitiateMultipartUploadResult", operation);
  std::string upload_id = root.child_value("UploadId");
  if (upload_id.empty()) throw malformed_response(operation + ": response has no UploadId");
  co_return upload_id;
}

template <RequestSender Sender>
boost::asio::awaitable<std::string> client<Sender>::upload_part(std::string bucket, std::string key,
                                                                std::string upload_id, int part_number,
                                                                std::string body) {
  http::request request = make_request(aws::http_method::put, bucket, key,
                                       {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}});
  detail::set_body(request, std::move(body));
  const http::response response = co_await send(std::move(request));
  std::string etag(response.header("ETag"));
  if (etag.empty()) {
    throw malformed_response("UploadPart " + bucket + "/" + key + " part " + std::to_string(part_number) +
                             ": response has no ETag");
  }
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
    throw make_s3_error(operation, response.status, response.body, response.header("x-amz-request-id"));
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
boost::asio::awaitable<std::vector<multipart_upload_info>> client<Sender>::list_multipart_uploads(std::string bucket,
                                                                                                  std::string prefix) {
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
    const pugi::xml_node root =
        detail::parse_xml_root(document, response.body, "ListMultipartUploadsResult", "ListMultipartUploads " + bucket);
    const bool url_encoded = std::string_view(root.child_value("EncodingType")) == "url";
    for (const pugi::xml_node upload : root.children("Upload")) {
      std::string key = upload.child_value("Key");
      if (url_encoded) {
        auto decoded = aws::uri_decoded(key, aws::plus_handling::space);
        if (!decoded) throw malformed_response("ListMultipartUploads " + bucket + ": a key is not URL-encoded");
        key = std::move(*decoded);
      }
      uploads.push_back({std::move(key), upload.child_value("UploadId")});
    }
    if (std::string_view(root.child_value("IsTruncated")) != "true") break;
    key_marker = root.child_value("NextKeyMarker");
    if (url_encoded) key_marker = aws::uri_decoded(key_marker, aws::plus_handling::space).value_or(key_marker);
    upload_id_marker = root.child_value("NextUploadIdMarker");
    if (key_marker.empty() && upload_id_marker.empty()) {
      throw malformed_response("ListMultipartUploads " + bucket + ": truncated without a marker");
    }
  }
  co_return uploads;
}

}  // namespace s3co::s3
