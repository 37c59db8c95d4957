// S3 error parser: any body gives an error that keeps the status and never
// throws; the code comes from <Error><Code> only.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "s3co/s3/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto error = s3co::s3::make_s3_error("GET fuzz/key", 503, body, "request-id");
  fuzz_check(error.status() == 503, "status lost");
  fuzz_check(std::string_view(error.what()).find("GET fuzz/key") != std::string_view::npos, "operation lost");
  return 0;
}
