// Uses the installed s3co::sign_pdfs target: the pipeline's headers (and
// simdjson through it) resolve, and its event config parses and validates
// before any S3 call.
#include <s3co/pipelines/sign_pdfs_handler.hpp>

#include <iostream>

int main() {
  const auto config = s3co::pipelines::load_sign_pdfs_config(R"({"bucket":"my-bucket","expiry_seconds":"900"})");
  bool ok = config.bucket == "my-bucket" && config.expiry == std::chrono::seconds(900);
  try {
    s3co::pipelines::load_sign_pdfs_config(R"({"bucket":"my-bucket","expiry_seconds":0})");
    ok = false;
  } catch (const s3co::aws::config_error& error) {
    ok = ok && error.field() == "expiry_seconds";
  }
  std::cout << "consumer_sign_pdfs: " << (ok ? "ok" : "WRONG CONFIG") << "\n";
  return ok ? 0 : 1;
}
