// sign_pdfs event parser: any event either gives a config that validates or
// is refused with a config_error naming a field.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fuzz_check.hpp"
#include "s3co/pipelines/sign_pdfs_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool environment_cleared = [] {
    for (const char* name : {"BUCKET_NAME", "PREFIX", "URL_EXPIRY_SECONDS", "QUEUE_MAX"}) ::unsetenv(name);
    return true;
  }();
  (void)environment_cleared;
  const std::string_view event(reinterpret_cast<const char*>(data), size);
  try {
    const auto config = s3co::pipelines::load_sign_pdfs_config(event, {});
    s3co::pipelines::validate(config);  // a loaded config is always valid
    fuzz_check(!config.bucket.empty(), "a config without a bucket");
  } catch (const s3co::aws::config_error& error) {
    fuzz_check(!error.field().empty(), "a config_error without a field");
  }
  return 0;
}
