// Cookbook: stream bytes into an object. Shown in README.md between the
// markers; tests/integration/cookbook runs it against radosgw.
#pragma once

#include <string>
#include <string_view>
#include <vector>

// [cookbook]
#include <s3co/s3/multipart_upload.hpp>

// Parts go up while lines are still being produced; memory stays within
// (max_parts_in_flight + 1) x part_size. Any failure, or a cancellation,
// aborts the upload: nothing half-written stays in the bucket.
boost::asio::awaitable<void> upload_report(s3co::s3::client<>& s3, std::string_view bucket,
                                           const std::vector<std::string>& lines) {
  s3co::s3::multipart_upload_stream upload(s3, std::string(bucket), "reports/today.csv",
                                           {.attributes = {.content_type = "text/csv"}});
  for (const auto& line : lines) co_await upload.write(line);
  co_await upload.complete();
}
// [/cookbook]
