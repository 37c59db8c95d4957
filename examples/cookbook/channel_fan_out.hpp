// Cookbook: one producer, several consumers, and the close that ends them
// all. Shown in README.md between the markers; tests/integration/cookbook
// runs it.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>
#include <vector>

// [cookbook]
#include <s3co/flow/channel.hpp>
#include <s3co/flow/task_group.hpp>

boost::asio::awaitable<void> count_keys(s3co::flow::channel<std::string>& keys, std::atomic<std::size_t>& seen) {
  while (auto key = co_await keys.receive()) ++seen;  // std::nullopt once closed and drained
}

boost::asio::awaitable<std::size_t> fan_out(std::vector<std::string> work) {
  s3co::flow::channel<std::string> keys(64);  // send() waits while 64 are buffered
  std::atomic<std::size_t> seen = 0;
  s3co::flow::task_group consumers(co_await boost::asio::this_coro::executor);
  for (int i = 0; i < 4; ++i) consumers.spawn(count_keys(keys, seen));
  for (auto& key : work) co_await keys.send(std::move(key));
  keys.close();  // every receive, however late, ends; close(error) would make them throw it
  co_await consumers.wait();
  co_return seen.load();
}
// [/cookbook]
