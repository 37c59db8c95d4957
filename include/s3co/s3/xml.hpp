// Reading S3's XML answers: the root element of a body parsed in place, and
// fields of `encoding-type=url` answers. Shared by the client's operations
// and the listing; errors are malformed_response naming the operation.
#pragma once

#include <string>
#include <string_view>

#include <pugixml.hpp>

#include "s3co/aws/uri_encoding.hpp"
#include "s3co/s3/error.hpp"

namespace s3co::s3::detail {

// Throws malformed_response "<operation>: <problem>".
[[noreturn]] inline void throw_malformed(std::string_view operation, std::string_view problem) {
  std::string what(operation);
  what.append(": ").append(problem);
  throw malformed_response(what, {.operation = std::string(operation)});
}

// pugixml over a body owned by the caller; malformed XML is an error.
// Whitespace-only text is kept: a key (and radosgw's continuation token,
// which is the last key, raw) may be just a tab or a space.
inline pugi::xml_node parse_xml_root(pugi::xml_document& document, std::string& body, const char* root,
                                     std::string_view operation) {
  const auto parsed =
      document.load_buffer_inplace(body.data(), body.size(), pugi::parse_default | pugi::parse_ws_pcdata_single);
  if (!parsed) {
    throw_malformed(operation, std::string("malformed XML response (") + parsed.description() + ")");
  }
  const pugi::xml_node node = document.child(root);
  if (!node) throw_malformed(operation, std::string("response has no <") + root + ">");
  return node;
}

// A field of an `encoding-type=url` answer: decoded only when the answer
// says <EncodingType>url</EncodingType>, accepting `+` (AWS) and `%20`
// (radosgw) for a space. A bad escape is a malformed_response.
inline std::string decoded_field(const char* text, bool url_encoded, std::string_view operation) {
  if (!url_encoded) return text;
  auto decoded = aws::uri_decoded(text, aws::plus_handling::space);
  if (!decoded) throw_malformed(operation, "a field is not valid URL encoding");
  return std::move(*decoded);
}

}  // namespace s3co::s3::detail
