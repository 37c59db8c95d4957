// The JSON credential documents that the container endpoint, instance
// metadata and credential_process answer with: one flat object, read into
// credentials.
//
//   {"AccessKeyId":"…","SecretAccessKey":"…","Token":"…","Expiration":"2026-12-04T22:00:00Z"}
//
// A small parser of its own, not simdjson: credentials/ is a core layer
// (only pipelines/ links simdjson). It accepts one object whose values are
// strings, numbers, booleans or null (nested values are skipped whole), and
// refuses anything else. Errors name the provider and the field, never a
// value: a value may be a secret.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "s3co/aws/amz_time.hpp"
#include "s3co/aws/credentials.hpp"
#include "s3co/credentials/provider_error.hpp"

namespace s3co::credentials {

// The object's members (strings unescaped; numbers, true, false as written;
// null as absent), or nullopt when `text` is not one JSON object.
std::optional<std::map<std::string, std::string>> parse_flat_json_object(std::string_view text);

// Names of the members that hold each part of the credentials.
struct credential_field_names {
  std::string_view session_token = "Token";  // "SessionToken" in credential_process output
};

// Credentials from the document, or provider_error("<provider>: …").
// Expiration is ISO 8601 (Z or +00:00); `require_expiration` makes it
// mandatory.
aws::credentials credentials_from_json(std::string_view text, const std::string& provider,
                                       credential_field_names names, bool require_expiration);

// ISO 8601 UTC with Z, or +00:00 / -00:00 as some tools write it.
std::optional<aws::utc_time_point> parse_expiration(std::string_view text);

// ---------------------------------------------------------------------------

namespace detail {

class flat_json_reader {
 public:
  explicit flat_json_reader(std::string_view text) : text_(text) {}

  std::optional<std::map<std::string, std::string>> read_object() {
    std::map<std::string, std::string> members;
    skip_space();
    if (!take('{')) return std::nullopt;
    skip_space();
    if (take('}')) return finish(std::move(members));
    for (;;) {
      skip_space();
      auto name = read_string();
      if (!name) return std::nullopt;
      skip_space();
      if (!take(':')) return std::nullopt;
      skip_space();
      if (peek() == '"') {
        auto value = read_string();
        if (!value) return std::nullopt;
        members[*name] = std::move(*value);
      } else if (peek() == '{' || peek() == '[') {
        if (!skip_nested()) return std::nullopt;
      } else {
        auto literal = read_literal();
        if (!literal) return std::nullopt;
        if (*literal != "null") members[*name] = std::move(*literal);
      }
      skip_space();
      if (take(',')) continue;
      if (take('}')) return finish(std::move(members));
      return std::nullopt;
    }
  }

 private:
  std::optional<std::map<std::string, std::string>> finish(std::map<std::string, std::string> members) {
    skip_space();
    if (position_ != text_.size()) return std::nullopt;
    return members;
  }

  char peek() const noexcept { return position_ < text_.size() ? text_[position_] : '\0'; }
  bool take(char c) noexcept {
    if (peek() != c || position_ >= text_.size()) return false;
    ++position_;
    return true;
  }
  void skip_space() noexcept {
    while (position_ < text_.size() &&
           (text_[position_] == ' ' || text_[position_] == '\t' || text_[position_] == '\n' || text_[position_] == '\r')) {
      ++position_;
    }
  }

  static void append_utf8(std::string& out, unsigned code) {
    if (code < 0x80) {
      out.push_back(static_cast<char>(code));
    } else if (code < 0x800) {
      out.push_back(static_cast<char>(0xc0 | (code >> 6)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
    } else if (code < 0x10000) {
      out.push_back(static_cast<char>(0xe0 | (code >> 12)));
      out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
    } else {
      out.push_back(static_cast<char>(0xf0 | (code >> 18)));
      out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
    }
  }

  std::optional<unsigned> read_hex4() {
    if (text_.size() - position_ < 4) return std::nullopt;
    unsigned value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[position_++];
      value <<= 4;
      if (c >= '0' && c <= '9') value |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') value |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') value |= static_cast<unsigned>(c - 'A' + 10);
      else return std::nullopt;
    }
    return value;
  }

  std::optional<std::string> read_string() {
    if (!take('"')) return std::nullopt;
    std::string out;
    while (position_ < text_.size()) {
      const char c = text_[position_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (position_ >= text_.size()) return std::nullopt;
      const char escaped = text_[position_++];
      switch (escaped) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          auto code = read_hex4();
          if (!code) return std::nullopt;
          if (*code >= 0xd800 && *code < 0xdc00) {  // a surrogate pair
            if (!take('\\') || !take('u')) return std::nullopt;
            const auto low = read_hex4();
            if (!low || *low < 0xdc00 || *low >= 0xe000) return std::nullopt;
            code = 0x10000 + ((*code - 0xd800) << 10) + (*low - 0xdc00);
          }
          append_utf8(out, *code);
          break;
        }
        default: return std::nullopt;
      }
    }
    return std::nullopt;
  }

  std::optional<std::string> read_literal() {
    const std::size_t start = position_;
    while (position_ < text_.size()) {
      const char c = text_[position_];
      const bool literal_char = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-' || c == '+' || c == '.' ||
                                c == 'E';
      if (!literal_char) break;
      ++position_;
    }
    const std::string_view literal = text_.substr(start, position_ - start);
    if (literal.empty()) return std::nullopt;
    if (literal == "true" || literal == "false" || literal == "null") return std::string(literal);
    for (const char c : literal) {
      if (c >= 'a' && c <= 'z' && c != 'e') return std::nullopt;
    }
    return std::string(literal);
  }

  // Skips a nested object or array, strings inside included.
  bool skip_nested() {
    int depth = 0;
    while (position_ < text_.size()) {
      const char c = peek();
      if (c == '"') {
        if (!read_string()) return false;
        continue;
      }
      ++position_;
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') {
        if (--depth == 0) return true;
      }
    }
    return false;
  }

  std::string_view text_;
  std::size_t position_ = 0;
};

}  // namespace detail

inline std::optional<std::map<std::string, std::string>> parse_flat_json_object(std::string_view text) {
  return detail::flat_json_reader(text).read_object();
}

inline std::optional<aws::utc_time_point> parse_expiration(std::string_view text) {
  for (const std::string_view utc_offset : {"+00:00", "-00:00"}) {
    if (text.ends_with(utc_offset)) {
      std::string with_z(text.substr(0, text.size() - utc_offset.size()));
      with_z.push_back('Z');
      return aws::parse_iso8601_utc(with_z);
    }
  }
  return aws::parse_iso8601_utc(text);
}

inline aws::credentials credentials_from_json(std::string_view text, const std::string& provider,
                                              credential_field_names names, bool require_expiration) {
  const auto members = parse_flat_json_object(text);
  if (!members) throw provider_error(provider, "the answer is not a JSON object");
  const auto field = [&](std::string_view name) -> std::string {
    const auto found = members->find(std::string(name));
    return found == members->end() ? std::string() : found->second;
  };
  aws::credentials creds;
  creds.access_key_id = field("AccessKeyId");
  creds.secret_access_key = field("SecretAccessKey");
  creds.session_token = field(names.session_token);
  if (creds.access_key_id.empty()) throw provider_error(provider, "the answer has no AccessKeyId");
  if (creds.secret_access_key.empty()) throw provider_error(provider, "the answer has no SecretAccessKey");
  const std::string expiration = field("Expiration");
  if (!expiration.empty()) {
    creds.expiration = parse_expiration(expiration);
    if (!creds.expiration) throw provider_error(provider, "the answer's Expiration is not an ISO 8601 time");
  } else if (require_expiration) {
    throw provider_error(provider, "the answer has no Expiration");
  }
  try {
    aws::validate_credentials(creds, provider);
  } catch (const aws::config_error& bad) {
    throw provider_error(provider, std::string(bad.what()).substr(provider.size() + 2));
  }
  return creds;
}

}  // namespace s3co::credentials
