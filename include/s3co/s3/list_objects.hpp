// ListObjectsV2: one page parsed in place, and a paginator over all pages.
//
// Every request asks for `encoding-type=url` so that keys XML 1.0 cannot
// carry (control characters) arrive intact; fields are decoded only when the
// response says <EncodingType>url</EncodingType>, accepting both `+` (AWS)
// and `%20` (radosgw) for a space. The continuation token is opaque and never
// decoded. A malformed or truncated body, or IsTruncated=true without a
// NextContinuationToken, is a malformed_response: never a silently short
// listing. So is a token that repeats one seen earlier in the listing: the
// paginator remembers every token (a few dozen bytes a page), so a server
// that cycles can never keep it listing forever.
//
// Two ways to walk a listing:
//
//   s3co::s3::object_lister objects(s3, {.bucket = "b", .prefix = "2026/"});
//   while (auto object = co_await objects.next()) use(object->key, object->size);
//
//   s3co::s3::list_paginator pages(s3, {.bucket = "b", .delimiter = "/"});
//   while (auto page = co_await pages.next()) use(page->objects, page->common_prefixes);
//
// The object lister walks the paginator's pages (one request per page, each
// page held until its last object is taken) and still shows the page an
// object came from (`page()`), for common prefixes and byte counts. Both own
// their request and refer to the client, which must outlive them. `next()`
// is not reentrant: one call at a time.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <pugixml.hpp>

#include "s3co/aws/amz_time.hpp"
#include "s3co/aws/config_error.hpp"
#include "s3co/aws/uri_encoding.hpp"
#include "s3co/s3/client.hpp"
#include "s3co/s3/error.hpp"
#include "s3co/s3/xml.hpp"

namespace s3co::s3 {

struct list_request {
  std::string bucket{};
  std::string prefix{};
  std::string start_after{};
  std::string delimiter{};
  int max_keys = 1000;  // 1..1000
  std::string continuation_token{};
};

// Throws aws::config_error naming the field.
void validate(const list_request& request);

struct object_summary {
  std::string key{};
  std::uint64_t size = 0;
  std::string etag{};
  std::optional<aws::utc_time_point> last_modified{};  // none when the server sent none it could be read as
};

struct list_page {
  std::vector<object_summary> objects{};
  std::vector<std::string> common_prefixes{};
  bool is_truncated = false;
  std::string next_continuation_token{};
  std::size_t response_bytes = 0;
};

// Parses a ListObjectsV2 body; `body` is modified (parsed in place).
// `operation` names the request in errors.
list_page parse_list_objects_v2(std::string& body, std::string_view operation);

template <RequestSender Sender>
class list_paginator {
 public:
  list_paginator(client<Sender>& s3, list_request request);

  // The next page, or nullopt after the last one.
  boost::asio::awaitable<std::optional<list_page>> next();

  int pages() const noexcept { return pages_; }
  bool done() const noexcept { return done_; }
  // The max-keys of the pages still to come (1..1000): a caller that needs
  // only a few more keys need not be sent a whole page.
  void set_max_keys(int max_keys) {
    request_.max_keys = max_keys;
    validate(request_);
  }

 private:
  client<Sender>& s3_;
  list_request request_;
  int pages_ = 0;
  bool done_ = false;
  std::unordered_map<std::string, int> pages_by_token_;  // every token seen, and the page that sent it
};

template <RequestSender Sender>
class object_lister {
 public:
  object_lister(client<Sender>& s3, list_request request) : pages_(s3, std::move(request)) {}

  // The next object in listing order, or nullopt after the last one.
  boost::asio::awaitable<std::optional<object_summary>> next();

  // The page the last object came from; nullptr before the first.
  const list_page* page() const noexcept { return page_ ? &*page_ : nullptr; }
  const list_paginator<Sender>& paginator() const noexcept { return pages_; }

 private:
  list_paginator<Sender> pages_;
  std::optional<list_page> page_;
  std::size_t next_object_ = 0;
};

// ---------------------------------------------------------------------------

inline void validate(const list_request& request) {
  if (request.bucket.empty()) throw aws::config_error("bucket", "must not be empty");
  if (request.max_keys < 1 || request.max_keys > 1000) {
    throw aws::config_error("max_keys", std::to_string(request.max_keys) + " is outside 1..1000");
  }
}

inline list_page parse_list_objects_v2(std::string& body, std::string_view operation) {
  list_page page;
  page.response_bytes = body.size();
  pugi::xml_document document;
  const pugi::xml_node root = detail::parse_xml_root(document, body, "ListBucketResult", operation);
  const bool url_encoded = std::string_view(root.child_value("EncodingType")) == "url";

  const pugi::xml_node truncated = root.child("IsTruncated");
  const std::string_view truncated_text = truncated.child_value();
  if (!truncated || (truncated_text != "true" && truncated_text != "false")) {
    detail::throw_malformed(operation, "response has no valid <IsTruncated>");
  }
  page.is_truncated = truncated_text == "true";
  if (page.is_truncated) {
    page.next_continuation_token = root.child_value("NextContinuationToken");
    if (page.next_continuation_token.empty()) {
      detail::throw_malformed(operation, "IsTruncated is true but NextContinuationToken is missing");
    }
  }

  std::size_t object_count = 0;
  for ([[maybe_unused]] const pugi::xml_node contents : root.children("Contents")) ++object_count;
  page.objects.reserve(object_count);
  for (const pugi::xml_node contents : root.children("Contents")) {
    object_summary& object = page.objects.emplace_back();
    // One pass over the fields (a lookup by name would scan them once each).
    bool has_key = false;
    std::string_view size;
    for (const pugi::xml_node field : contents.children()) {
      const std::string_view name = field.name();
      if (name == "Key") {
        object.key = detail::decoded_field(field.child_value(), url_encoded, operation);
        has_key = true;
      } else if (name == "Size") {
        size = field.child_value();
      } else if (name == "ETag") {
        object.etag = field.child_value();
      } else if (name == "LastModified") {
        object.last_modified = aws::parse_iso8601_utc(field.child_value());
      }
    }
    if (!has_key) detail::throw_malformed(operation, "an object has no <Key>");
    const auto [end, error] = std::from_chars(size.data(), size.data() + size.size(), object.size);
    if (size.empty() || error != std::errc{} || end != size.data() + size.size()) {
      detail::throw_malformed(operation, "an object has no valid <Size>");
    }
  }
  for (const pugi::xml_node prefix : root.children("CommonPrefixes")) {
    page.common_prefixes.push_back(detail::decoded_field(prefix.child_value("Prefix"), url_encoded, operation));
  }
  // KeyCount, when present, must agree: a body cut short at a tag boundary
  // could otherwise still parse.
  if (const pugi::xml_node count = root.child("KeyCount")) {
    const std::string_view text = count.child_value();
    std::size_t expected = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), expected);
    if (error != std::errc{} || end != text.data() + text.size() ||
        expected != page.objects.size() + page.common_prefixes.size()) {
      detail::throw_malformed(operation, "KeyCount " + std::string(text) + " does not match the " +
                                             std::to_string(page.objects.size() + page.common_prefixes.size()) +
                                             " entries");
    }
  }
  return page;
}

template <RequestSender Sender>
list_paginator<Sender>::list_paginator(client<Sender>& s3, list_request request)
    : s3_(s3), request_(std::move(request)) {
  validate(request_);
}

template <RequestSender Sender>
boost::asio::awaitable<std::optional<list_page>> list_paginator<Sender>::next() {
  if (done_) co_return std::nullopt;
  std::vector<aws::query_parameter> query{{"list-type", "2"},
                                          {"encoding-type", "url"},
                                          {"max-keys", std::to_string(request_.max_keys)}};
  if (!request_.prefix.empty()) query.push_back({"prefix", request_.prefix});
  if (!request_.delimiter.empty()) query.push_back({"delimiter", request_.delimiter});
  if (!request_.start_after.empty()) query.push_back({"start-after", request_.start_after});
  if (!request_.continuation_token.empty()) query.push_back({"continuation-token", request_.continuation_token});
  http::response response = co_await s3_.send(s3_.make_request(aws::http_method::get, request_.bucket, {}, std::move(query)));
  const std::string operation = "ListObjectsV2 " + request_.bucket + " page " + std::to_string(pages_ + 1);
  list_page page = parse_list_objects_v2(response.body, operation);
  ++pages_;
  if (page.is_truncated) {
    if (page.next_continuation_token == request_.continuation_token) {
      detail::throw_malformed(operation, "the continuation token did not advance");
    }
    const auto [seen, first_time] = pages_by_token_.try_emplace(page.next_continuation_token, pages_);
    if (!first_time) {
      detail::throw_malformed(operation, "the continuation token repeats the one of page " +
                                             std::to_string(seen->second) + ": the listing would never end");
    }
    request_.continuation_token = page.next_continuation_token;
  } else {
    done_ = true;
  }
  co_return page;
}

template <RequestSender Sender>
boost::asio::awaitable<std::optional<object_summary>> object_lister<Sender>::next() {
  // Pages may be empty (a prefix with only common prefixes, or S3's own
  // empty truncated pages): move on until an object or the end.
  while (!page_ || next_object_ == page_->objects.size()) {
    page_ = co_await pages_.next();
    next_object_ = 0;
    if (!page_) co_return std::nullopt;
  }
  co_return std::move(page_->objects[next_object_++]);
}

}  // namespace s3co::s3

#if defined(S3CO_SEPARATE_COMPILATION)
// Separate compilation (detail/config.hpp): the listers over the Beast
// transport are compiled once, by s3co/src.hpp.
#include "s3co/http/client.hpp"
extern template class s3co::s3::list_paginator<s3co::http::client>;
extern template class s3co::s3::object_lister<s3co::http::client>;
#endif
