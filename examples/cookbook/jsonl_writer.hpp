// Cookbook: JSON lines into a file (or into an upload stream: any
// AsyncByteSink). Shown in README.md between the markers;
// tests/integration/cookbook runs it.
#pragma once

#include <string>
#include <utility>
#include <vector>

// [cookbook]
#include <s3co/sinks/file_sink.hpp>
#include <s3co/sinks/jsonl_writer.hpp>

boost::asio::awaitable<void> write_links(const std::string& path,
                                         const std::vector<std::pair<std::string, std::string>>& links) {
  s3co::sinks::file_sink file(path);
  s3co::sinks::jsonl_writer lines(file);  // hands the sink 64 KiB of whole lines at a time
  for (const auto& [key, url] : links) co_await lines.write_record({"key", key}, {"url", url});
  co_await lines.flush();
}
// [/cookbook]
