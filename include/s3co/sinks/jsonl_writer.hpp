// JSON lines: one JSON object of string fields per line, written to any
// AsyncByteSink in chunks.
//
//   co_await writer.write_record({"key", key}, {"url", url});  // {"key":"…","url":"…"}\n
//   const jsonl_field record[] = {{"a", a}, {"b", b}, ...};    // any number of fields
//   co_await writer.write_record(record);
//   ...
//   co_await writer.flush();                // hands over the last partial chunk
//
// (Records of one to four fields are written as separate arguments; there is
// no initializer_list form, because g++ 12 rejects `write_record({{...}})`
// inside a co_await expression.)
//
// Lines are formatted straight into one buffer and handed to the sink only
// when the buffer holds at least `chunk_size` bytes (64 KiB by default), as a
// run of whole lines, so the sink sees few large writes. Once the buffer has
// grown to its working size, writing a record allocates nothing.
//
// Errors: a record with invalid UTF-8 in a field name or value throws
// `invalid_record` from `write_record` itself, before anything is awaited;
// nothing of that record stays in the buffer, the counters are unchanged and
// the writer stays usable. Exceptions from the sink propagate from the
// co_await; the chunk it was given stays buffered (a later `flush()` offers
// it again; whether that can succeed is up to the sink).
//
// Lifetime: the writer holds a reference to the sink and does not own it;
// the sink must outlive the writer and anything awaiting it. The destructor
// cannot await, so bytes not yet flushed are dropped: call `flush()` first.
// The field views are read before `write_record` returns, so they only need
// to live for the call; but a field is only a view, so `{"url", a + b}` in
// an array like the one above would dangle: keep such strings in named
// variables. A writer serves one coroutine at a time; starting a record
// while a chunk is being handed to the sink throws std::logic_error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "s3co/sinks/async_byte_sink.hpp"
#include "s3co/sinks/json_escape.hpp"

namespace s3co::sinks {

struct jsonl_field {
  std::string_view name{};
  std::string_view value{};
};

// A record refused because a field name or value is not valid UTF-8. The
// message says which field and where, never what the value holds.
class invalid_record : public std::invalid_argument {
 public:
  enum class part { name, value };

  invalid_record(std::size_t field_index, part where, std::size_t offset);

  std::size_t field_index() const noexcept { return field_index_; }
  part where() const noexcept { return where_; }
  std::size_t offset() const noexcept { return offset_; }  // of the first invalid byte in that part

 private:
  std::size_t field_index_;
  part where_;
  std::size_t offset_;
};

inline constexpr std::size_t default_jsonl_chunk_size = 64 * 1024;

template <AsyncByteSink Sink>
class jsonl_writer {
 public:
  // Throws std::invalid_argument when chunk_size is 0.
  explicit jsonl_writer(Sink& sink, std::size_t chunk_size = default_jsonl_chunk_size);

  jsonl_writer(const jsonl_writer&) = delete;
  jsonl_writer& operator=(const jsonl_writer&) = delete;

  // Appends one line; the awaitable hands a chunk to the sink if the buffer
  // has reached chunk_size, else completes at once. Throws invalid_record.
  boost::asio::awaitable<void> write_record(std::span<const jsonl_field> fields);
  boost::asio::awaitable<void> write_record(jsonl_field first) { return write_fields({first}); }
  boost::asio::awaitable<void> write_record(jsonl_field first, jsonl_field second) {
    return write_fields({first, second});
  }
  boost::asio::awaitable<void> write_record(jsonl_field first, jsonl_field second, jsonl_field third) {
    return write_fields({first, second, third});
  }
  boost::asio::awaitable<void> write_record(jsonl_field first, jsonl_field second, jsonl_field third,
                                            jsonl_field fourth) {
    return write_fields({first, second, third, fourth});
  }

  // Hands everything buffered to the sink (a last chunk may be short).
  boost::asio::awaitable<void> flush();

  std::uint64_t lines() const noexcept { return lines_; }  // accepted so far
  std::uint64_t bytes() const noexcept { return bytes_; }  // of those lines, newlines included
  std::size_t buffered_bytes() const noexcept { return buffer_.size(); }
  std::size_t chunk_size() const noexcept { return chunk_size_; }
  Sink& sink() const noexcept { return *sink_; }

 private:
  // (Not a coroutine: the fields are read before it returns.)
  boost::asio::awaitable<void> write_fields(std::initializer_list<jsonl_field> fields) {
    return write_record(std::span<const jsonl_field>(fields.begin(), fields.size()));
  }
  void append_line(std::span<const jsonl_field> fields);
  boost::asio::awaitable<void> hand_over();

  Sink* sink_;
  std::size_t chunk_size_;
  std::string buffer_;
  std::uint64_t lines_ = 0;
  std::uint64_t bytes_ = 0;
  bool handing_over_ = false;
};

// ---------------------------------------------------------------------------

namespace detail {

inline std::string invalid_record_message(std::size_t field_index, invalid_record::part where, std::size_t offset) {
  std::string message("JSONL record: field ");
  message.append(std::to_string(field_index))
      .append(where == invalid_record::part::name ? " name" : " value")
      .append(" is not valid UTF-8 (byte ")
      .append(std::to_string(offset))
      .append(")");
  return message;
}

inline boost::asio::awaitable<void> completed() { co_return; }

}  // namespace detail

inline invalid_record::invalid_record(std::size_t field_index, part where, std::size_t offset)
    : std::invalid_argument(detail::invalid_record_message(field_index, where, offset)),
      field_index_(field_index),
      where_(where),
      offset_(offset) {}

template <AsyncByteSink Sink>
jsonl_writer<Sink>::jsonl_writer(Sink& sink, std::size_t chunk_size) : sink_(&sink), chunk_size_(chunk_size) {
  if (chunk_size == 0) throw std::invalid_argument("jsonl_writer: chunk_size must be at least 1");
  // The buffer's working size: a full chunk plus a line of slack.
  buffer_.reserve(chunk_size + 1024);
}

template <AsyncByteSink Sink>
boost::asio::awaitable<void> jsonl_writer<Sink>::write_record(std::span<const jsonl_field> fields) {
  append_line(fields);
  if (buffer_.size() >= chunk_size_) return hand_over();
  return detail::completed();
}

template <AsyncByteSink Sink>
boost::asio::awaitable<void> jsonl_writer<Sink>::flush() {
  if (handing_over_) throw std::logic_error("jsonl_writer: flush while a chunk is being written");
  if (buffer_.empty()) return detail::completed();
  return hand_over();
}

template <AsyncByteSink Sink>
void jsonl_writer<Sink>::append_line(std::span<const jsonl_field> fields) {
  // The sink may be reading the buffer right now: appending could move it.
  if (handing_over_) throw std::logic_error("jsonl_writer: record written while a chunk is being written");
  const std::size_t mark = buffer_.size();
  buffer_.push_back('{');
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i != 0) buffer_.push_back(',');
    if (!append_json_string(buffer_, fields[i].name)) {
      buffer_.resize(mark);
      throw invalid_record(i, invalid_record::part::name, find_invalid_utf8(fields[i].name));
    }
    buffer_.push_back(':');
    if (!append_json_string(buffer_, fields[i].value)) {
      buffer_.resize(mark);
      throw invalid_record(i, invalid_record::part::value, find_invalid_utf8(fields[i].value));
    }
  }
  buffer_.append("}\n", 2);
  ++lines_;
  bytes_ += buffer_.size() - mark;
}

template <AsyncByteSink Sink>
boost::asio::awaitable<void> jsonl_writer<Sink>::hand_over() {
  handing_over_ = true;
  struct reset_flag {
    bool& flag;
    ~reset_flag() { flag = false; }
  } reset{handing_over_};
  co_await sink_->write(std::string_view(buffer_));
  buffer_.clear();  // keeps the capacity: the next chunk reuses it
}

}  // namespace s3co::sinks
