// Where S3 requests go: an endpoint (scheme, host, optional port) and how a
// bucket is addressed on it.
//
// Addressing follows botocore. With no endpoint configured, AWS's own
// (https://s3.amazonaws.com in us-east-1, https://s3.REGION.amazonaws.com
// elsewhere) and virtual-hosted (`bucket.host`) for buckets that are DNS
// names; a custom endpoint (radosgw, MinIO) is addressed path-style
// (`host/bucket`) unless virtual hosting is asked for. Virtual hosting needs
// a bucket that is a DNS name without dots over https (TLS wildcard
// certificates do not cover them; over http dots are fine) and a host that is
// a name, not an IP address; otherwise path-style is used.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "s3co/aws/config_error.hpp"
#include "s3co/aws/environment.hpp"
#include "s3co/aws/shared_config.hpp"

namespace s3co::aws {

enum class addressing_style { automatic, path, virtual_hosted };

struct s3_endpoint {
  std::string scheme;  // "http" or "https"
  std::string host;    // a name, an IPv4 address or a bracketed IPv6 address
  std::optional<std::uint16_t> port;  // only when not the scheme's default
  addressing_style addressing = addressing_style::automatic;
  bool is_aws = false;  // AWS's own endpoint, chosen by region

  // `host[:port]`, as in the Host header.
  std::string authority() const;
  bool host_is_ip_address() const noexcept;
};

// Parses `http[s]://host[:port][/]`; throws config_error naming `field`.
// The message shows at most the scheme, host and port: never user
// information (user:password@) or a query or fragment, which can hold
// credentials or tokens.
s3_endpoint parse_endpoint_url(std::string_view url, const std::string& field = "endpoint");

s3_endpoint aws_s3_endpoint(std::string_view region);

// The endpoint the environment names: S3_ENDPOINT_URL, else
// AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, else the active profile's s3
// endpoint (its services section, then its endpoint_url;
// aws/shared_config.hpp), else AWS's for `region`.
s3_endpoint resolve_s3_endpoint(std::string_view region);

// The S3 naming rules for general purpose buckets, reserved prefixes
// (xn--, sthree-, amzn-s3-demo-) and suffixes (-s3alias, --ol-s3, .mrap,
// --x-s3, --table-s3) included; throws config_error naming `field`.
void validate_bucket_name(std::string_view bucket, const std::string& field = "bucket");

// Whether `bucket` can be a host name label (with dots only when allowed).
bool is_virtual_hostable_bucket(std::string_view bucket, bool allow_dots = false) noexcept;

// How requests for one bucket are addressed.
struct bucket_address {
  std::string scheme;
  std::string authority;    // the Host header: host[:port]
  std::string path_prefix;  // "" (virtual-hosted) or "/bucket" (path-style)
  bool virtual_hosted = false;
};

bucket_address address_bucket(const s3_endpoint& endpoint, std::string_view bucket);

// ---------------------------------------------------------------------------

namespace detail {

inline bool is_ipv4_address(std::string_view text) noexcept {
  int parts = 0;
  std::size_t i = 0;
  while (i <= text.size()) {
    std::size_t digits = 0;
    unsigned value = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9' && digits < 4) {
      value = value * 10 + static_cast<unsigned>(text[i] - '0');
      ++i;
      ++digits;
    }
    if (digits == 0 || digits > 3 || value > 255) return false;
    ++parts;
    if (i == text.size()) break;
    if (text[i] != '.') return false;
    ++i;
  }
  return parts == 4;
}

inline bool is_host_name_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_';
}

// Joins pieces with one allocation. (Also sidesteps g++ 12's false
// -Wrestrict on `"literal" + std::string(...)` at -O3.)
inline std::string concat(std::initializer_list<std::string_view> pieces) {
  std::size_t size = 0;
  for (const auto piece : pieces) size += piece.size();
  std::string out;
  out.reserve(size);
  for (const auto piece : pieces) out.append(piece);
  return out;
}

inline std::uint16_t default_port(std::string_view scheme) noexcept { return scheme == "https" ? 443 : 80; }

// `text` for an error message: control characters (a NUL would end the
// message for anyone reading what()) written as \u00XX, the rest as is.
inline std::string printable_in_message(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      const char escape[6] = {'\\', 'u', '0', '0', hex[byte >> 4], hex[byte & 0x0f]};
      out.append(escape, sizeof escape);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace detail

inline std::string s3_endpoint::authority() const {
  if (!port || *port == detail::default_port(scheme)) return host;
  return host + ":" + std::to_string(*port);
}

inline bool s3_endpoint::host_is_ip_address() const noexcept {
  return (!host.empty() && host.front() == '[') || detail::is_ipv4_address(host);
}

inline s3_endpoint parse_endpoint_url(std::string_view url, const std::string& field) {
  // Checked first, and never echoed: user information and queries carry secrets.
  const auto scheme_end = url.find("://");
  const std::string_view after_scheme = scheme_end == std::string_view::npos ? url : url.substr(scheme_end + 3);
  const auto authority_end = after_scheme.find_first_of("/?#");
  const std::string_view rest = after_scheme.substr(0, authority_end);
  const std::string_view path = authority_end == std::string_view::npos ? "" : after_scheme.substr(authority_end);
  if (rest.find('@') != std::string_view::npos) {
    throw config_error(field, "must not carry user information (user:password@; the URL is not shown, it may hold a "
                              "secret): give credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  }
  if (path.find_first_of("?#") != std::string_view::npos) {
    throw config_error(field, "must not have a query or fragment (the URL is not shown, it may hold a secret)");
  }
  // What the other messages show: the scheme, host and port.
  const std::string shown =
      detail::concat({"'", detail::printable_in_message(url.substr(0, url.size() - path.size())), "'"});
  s3_endpoint endpoint;
  if (scheme_end == std::string_view::npos) {
    throw config_error(field, shown + " is not a URL (expected http://host[:port] or https://host[:port])");
  }
  endpoint.scheme = url.substr(0, scheme_end);
  if (endpoint.scheme != "http" && endpoint.scheme != "https") {
    throw config_error(field, shown + " has scheme '" + detail::printable_in_message(endpoint.scheme) +
                                  "' (expected http or https)");
  }
  if (!path.empty() && path != "/") throw config_error(field, shown + " has a path (expected http[s]://host[:port])");
  std::string_view host = rest;
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) throw config_error(field, shown + " has an unterminated IPv6 address");
    host = rest.substr(0, close + 1);
    const std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw config_error(field, shown + " has junk after the IPv6 address");
      port_text = after.substr(1);
      if (port_text.empty()) throw config_error(field, shown + " has an empty port");
    }
  } else if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port_text = rest.substr(colon + 1);
    if (port_text.empty()) throw config_error(field, shown + " has an empty port");
  }
  if (host.empty()) throw config_error(field, shown + " has no host");
  if (host.front() != '[') {
    for (const char c : host) {
      if (!detail::is_host_name_char(c)) throw config_error(field, shown + " has an invalid character in its host");
    }
  }
  endpoint.host = host;
  if (!port_text.empty()) {
    unsigned value = 0;
    for (const char c : port_text) {
      if (c < '0' || c > '9' || value > 65535) throw config_error(field, shown + " has an invalid port");
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) throw config_error(field, shown + " has a port outside 1..65535");
    if (value != detail::default_port(endpoint.scheme)) endpoint.port = static_cast<std::uint16_t>(value);
  }
  return endpoint;
}

inline s3_endpoint aws_s3_endpoint(std::string_view region) {
  s3_endpoint endpoint;
  endpoint.scheme = "https";
  endpoint.is_aws = true;
  endpoint.host = region == "us-east-1" ? std::string("s3.amazonaws.com") : detail::concat({"s3.", region, ".amazonaws.com"});
  return endpoint;
}

inline s3_endpoint resolve_s3_endpoint(std::string_view region) {
  if (const auto url = environment_value("S3_ENDPOINT_URL")) return parse_endpoint_url(*url, "S3_ENDPOINT_URL");
  if (const auto configured = configured_endpoint_url(load_shared_config(), active_profile_name(), "s3")) {
    return parse_endpoint_url(configured->url, configured->field);
  }
  return aws_s3_endpoint(region);
}

inline void validate_bucket_name(std::string_view bucket, const std::string& field) {
  const std::string shown = detail::concat({"'", detail::printable_in_message(bucket), "'"});
  if (bucket.size() < 3 || bucket.size() > 63) throw config_error(field, shown + " must be 3 to 63 characters long");
  for (const char c : bucket) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!allowed) throw config_error(field, shown + " may hold only lower-case letters, digits, '.' and '-'");
  }
  const auto is_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!is_alnum(bucket.front()) || !is_alnum(bucket.back())) {
    throw config_error(field, shown + " must begin and end with a letter or digit");
  }
  if (bucket.find("..") != std::string_view::npos) throw config_error(field, shown + " must not contain '..'");
  if (detail::is_ipv4_address(bucket)) throw config_error(field, shown + " must not look like an IP address");
  // Reserved by S3 for other kinds of names (punycode, access point aliases,
  // Object Lambda, Multi-Region Access Points, directory and table buckets).
  for (const std::string_view prefix : {"xn--", "sthree-", "amzn-s3-demo-"}) {
    if (bucket.starts_with(prefix)) {
      throw config_error(field, detail::concat({shown, " starts with '", prefix, "', which S3 has reserved"}));
    }
  }
  for (const std::string_view suffix : {"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"}) {
    if (bucket.ends_with(suffix)) {
      throw config_error(field, detail::concat({shown, " ends with '", suffix, "', which S3 has reserved"}));
    }
  }
}

inline bool is_virtual_hostable_bucket(std::string_view bucket, bool allow_dots) noexcept {
  if (bucket.size() < 3 || bucket.size() > 63 || detail::is_ipv4_address(bucket)) return false;
  char previous = '.';
  for (const char c : bucket) {
    const bool label_char = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (c == '.') {
      if (!allow_dots || previous == '.' || previous == '-') return false;
    } else if (!label_char || (c == '-' && previous == '.')) {
      return false;
    }
    previous = c;
  }
  return previous != '-' && previous != '.';
}

inline bucket_address address_bucket(const s3_endpoint& endpoint, std::string_view bucket) {
  const bool wants_virtual = endpoint.addressing == addressing_style::virtual_hosted ||
                             (endpoint.addressing == addressing_style::automatic && endpoint.is_aws);
  const bool virtual_hosted = wants_virtual && !endpoint.host_is_ip_address() &&
                              is_virtual_hostable_bucket(bucket, endpoint.scheme == "http");
  if (virtual_hosted) return {endpoint.scheme, detail::concat({bucket, ".", endpoint.authority()}), "", true};
  return {endpoint.scheme, endpoint.authority(), detail::concat({"/", bucket}), false};
}

}  // namespace s3co::aws
