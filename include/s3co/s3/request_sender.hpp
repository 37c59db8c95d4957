// What the S3 layer needs from a transport: send one request, get its answer.
// The Beast client (http/client.hpp) is the real one; unit tests plug in a
// double that answers from memory. Integration tests always use the real one.
#pragma once

#include <concepts>

#include <boost/asio/awaitable.hpp>

#include "s3co/http/message.hpp"

namespace s3co::s3 {

template <typename T>
concept RequestSender = requires(T& sender, http::request request) {
  { sender.send(std::move(request)) } -> std::same_as<boost::asio::awaitable<http::response>>;
};

}  // namespace s3co::s3
