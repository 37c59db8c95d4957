// URI encoding: encoding then decoding gives back the bytes, the encoded form
// holds only unreserved characters, %XX with upper-case hex (and '/' when
// kept), and whatever decodes re-encodes and decodes to the same bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "s3co/aws/uri_encoding.hpp"

namespace {

bool well_formed(std::string_view encoded, bool slash_kept) {
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    const char c = encoded[i];
    if (c == '%') {
      if (encoded.size() - i < 3) return false;
      for (const char hex : {encoded[i + 1], encoded[i + 2]}) {
        if (!((hex >= '0' && hex <= '9') || (hex >= 'A' && hex <= 'F'))) return false;
      }
      i += 2;
    } else if (c == '/') {
      if (!slash_kept) return false;
    } else if (!s3co::aws::detail::unreserved[static_cast<unsigned char>(c)]) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace s3co::aws;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const auto slashes : {slash_handling::encode, slash_handling::keep}) {
    const std::string encoded = uri_encoded(text, slashes);
    fuzz_check(well_formed(encoded, slashes == slash_handling::keep), "encoded form has a stray character");
    const auto decoded = uri_decoded(encoded);
    fuzz_check(decoded && *decoded == text, "encode then decode lost bytes");
  }
  for (const auto plus : {plus_handling::literal, plus_handling::space}) {
    if (const auto decoded = uri_decoded(text, plus)) {
      const auto again = uri_decoded(uri_encoded(*decoded));
      fuzz_check(again && *again == *decoded, "decoded text does not round-trip");
    }
  }
  return 0;
}
