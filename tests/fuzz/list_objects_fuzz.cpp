// ListObjectsV2 page parser: any body either parses into a coherent page or
// is refused with a typed error; nothing else escapes, nothing crashes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
#include "s3co/s3/list_objects.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  try {
    const s3co::s3::list_page page = s3co::s3::parse_list_objects_v2(body, "GET fuzz?list-type=2");
    fuzz_check(!page.is_truncated || !page.next_continuation_token.empty(), "truncated page without a token");
    fuzz_check(page.response_bytes == size, "response_bytes is not the body size");
  } catch (const s3co::s3::malformed_response&) {
  }
  return 0;
}
