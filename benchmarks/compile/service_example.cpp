// The service example of README.md ("Using it"), verbatim: scripts/compile-cost
// measures what compiling it costs.
#include <s3co/s3/client_from_environment.hpp>
#include <s3co/s3/list_objects.hpp>

boost::asio::io_context io;
// Region, endpoint and credentials as the AWS SDKs resolve them; the client owns its transport.
auto s3 = s3co::s3::client_from_environment(io.get_executor());

boost::asio::awaitable<std::size_t> count_pdfs(s3co::s3::client<>& s3) {
  s3co::s3::object_lister objects(s3, {.bucket = "my-bucket", .prefix = "2026/04/"});
  std::size_t count = 0;
  while (auto object = co_await objects.next()) count += object->key.ends_with(".pdf");
  co_return count;
}

// A presigned GET, valid from now by the server's clock as the client learned it:
std::string url = s3.presigner().presign({.bucket = "my-bucket", .key = "reports/2026 Q1.pdf"});
