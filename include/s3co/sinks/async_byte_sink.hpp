// AsyncByteSink: something bytes can be written to from a coroutine — a
// file, an S3 multipart upload stream, a socket, a test recorder.
//
// Contract:
// - `co_await sink.write(bytes)` completes once the sink has taken `bytes`:
//   written, copied or shipped. `bytes` stays valid until the returned
//   awaitable completes and no longer; callers co_await it at once (Asio
//   awaitables start only when awaited), so a sink that needs the bytes
//   later must copy them.
// - Failure is an exception from the co_await; what the sink has taken by
//   then is the sink's to say.
// - One write at a time: callers do not start a second write before the
//   first completes. Finishing (flush, close, complete) is the concrete
//   sink's own business and not part of the concept.
#pragma once

#include <concepts>
#include <string_view>

#include <boost/asio/awaitable.hpp>

namespace s3co::sinks {

template <typename S>
concept AsyncByteSink = requires(S& sink, std::string_view bytes) {
  { sink.write(bytes) } -> std::same_as<boost::asio::awaitable<void>>;
};

}  // namespace s3co::sinks
