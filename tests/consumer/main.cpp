// Presigns AWS's published example through the installed headers and checks
// the signature, so a broken install fails here.
#include <s3co/aws/presigner.hpp>

#include <chrono>
#include <iostream>

int main() {
  using namespace std::chrono;
  s3co::aws::presigner signer({"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""}, "us-east-1",
                              s3co::aws::aws_s3_endpoint("us-east-1"));
  const std::string url =
      signer.presign({"examplebucket", "test.txt", seconds(86400), sys_days{2013y / May / 24} + 0h});
  const bool ok = url.ends_with("aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  std::cout << "consumer: " << (ok ? "ok" : "WRONG SIGNATURE") << "\n";
  return ok ? 0 : 1;
}
