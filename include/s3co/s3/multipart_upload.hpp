// A streaming upload: bytes go in as they are produced; S3 receives them as
// a multipart upload whose parts are sent concurrently, or as one PutObject
// when everything fits in a single part.
//
// - Parts are `part_size` bytes (8 MiB by default; S3's minimum is 5 MiB, the
//   last part may be smaller) and at most 10,000; at most
//   `max_parts_in_flight` are uploading at once, so memory stays within
//   (max_parts_in_flight + 1) * part_size whatever the total size. A sent
//   part's buffer is filled again for a later part, not freed: a fresh
//   multi-MiB buffer costs a page fault every 4 KiB written into it.
// - complete() sends the last part, waits for all, and completes the upload
//   with the ETags in part order.
// - append_object() adds a stored object's bytes: copied server-side
//   (UploadPartCopy, pinned to its ETag) as parts of their own where S3's
//   5 MiB minimum allows, and read into the stream (ranged GETs of at most
//   a part) where it does not: an object smaller than that, and the bytes
//   that fill the part being written, for only the last part may be short.
//
// Nothing half-written stays behind, whatever happens:
// - On any failure of write() or complete(), the upload is aborted and the
//   error rethrown. Parts in flight are cancelled and waited for first (a
//   part landing after the abort would stay), and the abort is retried for
//   up to `abort_timeout` in all. When it still fails (the server is gone),
//   the error is an upload_left_behind naming the bucket, key and upload id,
//   so that someone can abort it later.
// - The final request (PutObject, or CompleteMultipartUpload) is the commit
//   point, and a cancellation cannot cut it off: were it cut off in flight,
//   the server could still store the object after the clean-up ran. It runs
//   to its end, bounded by the transport's request timeout, and a
//   cancellation that arrived meanwhile is honoured right after it: the
//   object is deleted and complete() throws operation_aborted.
// - When the final request fails in a way that may have been applied (no
//   answer, a 5xx, an answer that cannot be read), the object is deleted
//   too. A clear 4xx refusal leaves the key as it was. So the stream owns its
//   key: do not stream over an object you mean to keep.
// - A stream destroyed without complete() or abort() aborts its upload in
//   the background.
//
// Ownership: the stream refers to its client, which must outlive it and any
// background abort, and it must be destroyed before the io_context it ran on
// (parts in flight report through a channel of that context). One writer at
// a time: write() and complete() must not overlap, and the stream runs on
// one executor (a strand when the context has several threads: parts are
// cancelled there). The stream models sinks' AsyncByteSink.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include "s3co/aws/config_error.hpp"
#include "s3co/error.hpp"
#include "s3co/flow/timeout.hpp"
#include "s3co/s3/client.hpp"

namespace s3co::s3 {

inline constexpr std::size_t min_part_size = 5 * 1024 * 1024;
inline constexpr std::uint64_t max_part_size = 5ull * 1024 * 1024 * 1024;
inline constexpr int max_parts = 10'000;

// An object already in S3, as a listing describes it.
struct stored_object {
  std::string bucket{};
  std::string key{};
  std::uint64_t size = 0;
  std::string etag{};  // empty: not pinned
};

struct multipart_options {
  std::size_t part_size = 8 * 1024 * 1024;
  std::size_t max_parts_in_flight = 4;
  object_attributes attributes{};  // what the object is stored with; the stream keeps its own copy
  // How long a failed or abandoned upload keeps trying to abort (waiting for
  // its cancelled parts included) before it reports upload_left_behind.
  std::chrono::milliseconds abort_timeout{5000};
};

// A multipart upload that failed and could not be aborted: it stays listed
// (and its parts stored) until someone aborts it with these names. Its
// details are those of the failure that ended the upload, when that was an
// s3co::error; the message holds both that failure and the abort's.
class upload_left_behind : public s3co::error {
 public:
  upload_left_behind(const std::string& what, error_details details, std::string bucket, std::string key,
                     std::string upload_id, std::string abort_error)
      : s3co::error(what, std::move(details)),
        bucket_(std::move(bucket)),
        key_(std::move(key)),
        upload_id_(std::move(upload_id)),
        abort_error_(std::move(abort_error)) {}

  const std::string& bucket() const noexcept { return bucket_; }
  const std::string& key() const noexcept { return key_; }
  const std::string& upload_id() const noexcept { return upload_id_; }
  const std::string& abort_error() const noexcept { return abort_error_; }

 private:
  std::string bucket_;
  std::string key_;
  std::string upload_id_;
  std::string abort_error_;
};

// The upload_left_behind for an upload ended by `failure` (null: an abort
// the caller asked for) whose abort then failed with `abort_error`.
upload_left_behind make_upload_left_behind(std::exception_ptr failure, std::string bucket, std::string key,
                                           std::string upload_id, std::string abort_error);

// Throws aws::config_error naming the field.
void validate(const multipart_options& options);

struct upload_summary {
  std::string etag{};  // may be empty (radosgw sends none for multipart uploads)
  std::uint64_t bytes = 0;
  int parts = 0;     // 0 when sent as a single PutObject
  bool multipart = false;
};

template <RequestSender Sender>
class multipart_upload_stream {
 public:
  multipart_upload_stream(client<Sender>& s3, std::string bucket, std::string key, multipart_options options = {});
  ~multipart_upload_stream();

  multipart_upload_stream(const multipart_upload_stream&) = delete;
  multipart_upload_stream& operator=(const multipart_upload_stream&) = delete;

  boost::asio::awaitable<void> write(std::string_view bytes);
  // Appends `source`'s bytes (see above); its size and ETag as listed.
  boost::asio::awaitable<void> append_object(stored_object source);
  boost::asio::awaitable<upload_summary> complete();
  boost::asio::awaitable<void> abort();

  std::uint64_t bytes_written() const noexcept { return bytes_written_; }
  int parts_started() const noexcept { return next_part_ - 1; }
  const std::string& upload_id() const noexcept { return upload_id_; }

 private:
  // What a part's coroutine returns: its ETag, and the buffer it sent from,
  // for reuse (empty for a copied part).
  struct sent_part {
    std::string etag;
    std::string buffer;
  };
  struct part_outcome {
    int part_number = 0;
    sent_part sent;
    std::exception_ptr error;
  };
  using outcome_channel =
      boost::asio::experimental::concurrent_channel<void(boost::system::error_code, part_outcome)>;

  // What outlives the stream: parts in flight report here, and a background
  // abort waits here for them.
  struct in_flight_parts {
    in_flight_parts(boost::asio::any_io_executor executor, std::size_t capacity) : outcomes(executor, capacity) {}
    outcome_channel outcomes;
    std::size_t count = 0;
    // Each part's cancellation. A part's entry is dropped one outcome after
    // its own: its coroutine may still be unwinding when its outcome
    // arrives, and co_spawn keeps state in the signal until then.
    struct part_cancellation {
      boost::asio::cancellation_signal signal;
      bool finished = false;  // its outcome is sent: nothing left to cancel
    };
    std::map<int, part_cancellation> cancellations;
    int last_received = 0;

    boost::asio::awaitable<part_outcome> receive_one() {
      part_outcome outcome = co_await outcomes.async_receive(boost::asio::use_awaitable);
      --count;
      cancellations.erase(std::exchange(last_received, outcome.part_number));
      co_return outcome;
    }
    void cancel_all() {
      for (auto& [part_number, part] : cancellations) {
        if (!part.finished) part.signal.emit(boost::asio::cancellation_type::terminal);
      }
    }
  };

  enum class state { open, completed, aborted, failed };

  // Runs `op`; on its failure, the stream fails: the upload is aborted and
  // the failure rethrown.
  boost::asio::awaitable<void> abort_on_failure(boost::asio::awaitable<void> op);
  boost::asio::awaitable<void> buffer_bytes(std::string_view bytes);
  boost::asio::awaitable<void> copy_in(stored_object source);
  boost::asio::awaitable<void> read_in(const stored_object& source, std::uint64_t first, std::uint64_t count);
  // Starts part next_part_ as make_part(part_number) in flight, once there is room.
  template <typename MakePart>
  boost::asio::awaitable<void> start_part(MakePart make_part);
  boost::asio::awaitable<void> ship_part();
  static boost::asio::awaitable<sent_part> upload_part(client<Sender>& s3, std::string bucket, std::string key,
                                                       std::string upload_id, int part_number, std::string buffer);
  static boost::asio::awaitable<sent_part> copy_part(client<Sender>& s3, std::string bucket, std::string key,
                                                     std::string upload_id, int part_number, stored_object source,
                                                     byte_range range);
  boost::asio::awaitable<put_result> send_final_request();
  static bool may_have_been_applied(std::exception_ptr failure) noexcept;
  boost::asio::awaitable<void> collect_one();
  boost::asio::awaitable<void> collect_all();
  void ensure_open(const char* operation) const;
  // Cancels the parts in flight, waits for them and aborts the upload,
  // retrying within `timeout`; the abort's last error when it failed.
  static boost::asio::awaitable<std::optional<std::string>> drain_and_abort(client<Sender>& s3,
                                                                            std::shared_ptr<in_flight_parts> parts,
                                                                            std::string bucket, std::string key,
                                                                            std::string upload_id,
                                                                            std::chrono::milliseconds timeout);
  static boost::asio::awaitable<void> abort_until_gone(client<Sender>& s3, std::shared_ptr<in_flight_parts> parts,
                                                       std::string bucket, std::string key, std::string upload_id,
                                                       std::shared_ptr<std::string> last_error);
  // After `failure` (null: abort() was asked for): aborts, and throws
  // upload_left_behind when that fails.
  boost::asio::awaitable<void> abort_or_report(std::exception_ptr failure);

  client<Sender>& s3_;
  std::string bucket_;
  std::string key_;
  std::string content_type_;  // what options_.attributes views
  multipart_options options_;
  std::string buffer_;
  std::vector<std::string> spare_buffers_;  // sent parts' buffers, emptied, for the next parts
  std::string upload_id_;
  std::shared_ptr<in_flight_parts> in_flight_;
  std::vector<std::string> etags_;
  std::exception_ptr first_error_;
  std::uint64_t bytes_written_ = 0;
  int next_part_ = 1;
  state state_ = state::open;
};

// ---------------------------------------------------------------------------

inline void validate(const multipart_options& options) {
  if (options.part_size < min_part_size) {
    throw aws::config_error("part_size", std::to_string(options.part_size) + " is below S3's minimum of 5 MiB");
  }
  if (options.part_size > max_part_size) {
    throw aws::config_error("part_size", std::to_string(options.part_size) + " is above S3's maximum of 5 GiB");
  }
  if (options.max_parts_in_flight < 1) throw aws::config_error("max_parts_in_flight", "must be at least 1");
  if (options.abort_timeout.count() < 1) throw aws::config_error("abort_timeout", "must be positive");
}

inline upload_left_behind make_upload_left_behind(std::exception_ptr failure, std::string bucket, std::string key,
                                                  std::string upload_id, std::string abort_error) {
  std::string what;
  error_details details{.operation = "multipart upload of " + bucket + "/" + key};
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const s3co::error& error) {
      what = error.what();
      details = error.details();
    } catch (const std::exception& error) {
      what = error.what();
    } catch (...) {
      what = "unknown failure";
    }
    what.append("; ");
  }
  what.append("the multipart upload could not be aborted (")
      .append(abort_error)
      .append(") and is left behind: bucket ")
      .append(bucket)
      .append(", key ")
      .append(key)
      .append(", upload id ")
      .append(upload_id);
  return upload_left_behind(what, std::move(details), std::move(bucket), std::move(key), std::move(upload_id),
                            std::move(abort_error));
}

template <RequestSender Sender>
multipart_upload_stream<Sender>::multipart_upload_stream(client<Sender>& s3, std::string bucket, std::string key,
                                                         multipart_options options)
    : s3_(s3),
      bucket_(std::move(bucket)),
      key_(std::move(key)),
      content_type_(options.attributes.content_type),
      options_(std::move(options)) {
  options_.attributes.content_type = content_type_;  // the caller's view need not outlive the constructor
  validate(options_);
  if (key_.empty()) throw aws::config_error("key", "must not be empty");
}

template <RequestSender Sender>
multipart_upload_stream<Sender>::~multipart_upload_stream() {
  if (upload_id_.empty() || state_ != state::open) return;  // failures abort before they rethrow
  try {
    boost::asio::co_spawn(in_flight_->outcomes.get_executor(),
                          drain_and_abort(s3_, in_flight_, bucket_, key_, upload_id_, options_.abort_timeout),
                          boost::asio::detached);
  } catch (...) {
    // Nothing more can be done from a destructor; the upload stays listed.
  }
}

template <RequestSender Sender>
void multipart_upload_stream<Sender>::ensure_open(const char* operation) const {
  if (state_ != state::open) {
    throw std::logic_error(std::string("multipart upload of ") + key_ + ": " + operation +
                           " after the stream was completed, aborted or failed");
  }
}

template <RequestSender Sender>
boost::asio::awaitable<void> multipart_upload_stream<Sender>::write(std::string_view bytes) {
  ensure_open("write");
  co_await abort_on_failure(buffer_bytes(bytes));
}

template <RequestSender Sender>
boost::asio::awaitable<void> multipart_upload_stream<Sender>::append_object(stored_object source) {
  ensure_open("append_object");
  co_await abort_on_failure(copy_in(std::move(source)));
}

template <RequestSender Sender>
boost::asio::awaitable<void> multipart_upload_stream<Sender>::abort_on_failure(boost::asio::awaitable<void> op) {
  std::exception_ptr failure;
  try {
    co_await std::move(op);
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    state_ = state::failed;
    co_await boost::asio::this_coro::reset_cancellation_state();
    co_await abort_or_report(failure);
    std::rethrow_exception(failure);
  }
}

template <RequestSender Sender>
boost::asio::awaitable<void> multipart_upload_stream<Sender>::buffer_bytes(std::string_view bytes) {
  while (!bytes.empty()) {
    // A full buffer ships only once more bytes arrive: an upload of
    // exactly one part stays a single PutObject.
    if (buffer_.size() == options_.part_size) co_await ship_part();
    if (buffer_.capacity() < options_.part_size) buffer_.reserve(options_.part_size);
    const std::size_t take = std::min(options_.part_size - buffer_.size(), bytes.size());
    buffer_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    bytes_written_ += take;
  }
}

template <RequestSender Sender>
boost::asio::awaitable<void> multipart_upload_stream<Sender>::copy_in(stored_object source) {
  std::uint64_t offset = 0;
  // Only a full part may come before a copied one.
  if (!buffer_.empty() && buffer_.size() < options_.part_size) {
    offset = std::min<std::uint64_t>(options_.part_size - buffer_.size(), source.size);
    co_await read_in(source, 0, offset);
  }
  const std::uint64_t rest = source.size - offset;
  if (rest < min_part_size) {
    co_await read_in(source, offset, rest);
    co_return;
  }
  if (!buffer_.empty()) co_await ship_part();
  // Parts of at most 5 GiB, as even as can be (each at least 5 MiB).
  const std::uint64_t count = (rest + max_part_size - 1) / max_part_size;
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::uint64_t first = offset + rest * i / count;
    const std::uint64_t end = offset + rest * (i + 1) / count;
    co_await start_part([&](int part_number) {
      return copy_part(s3_, bucket_, key_, upload_id_, part_number, source, {.first = first, .last = end - 1});
    });
    bytes_written_ += end - first;
  }
}

template <RequestSender Sender>
boost::asio::awaitable<void> multipart_upload_stream<Sender>::read_in(const stored_object& source,
                                                                     std::uint64_t first, std::uint64_t count) {
  for (std::uint64_t done = 0; done < count;) {
    const std::uint64_t take = std::min<std::uint64_t>(count - done, options_.part_size);
    get_object_request read{.bucket = source.bucket, .key = source.key,
                            .range = byte_range{.first = first + done, .last = first + done + take - 1},
                            .if_match = source.etag};
    const std::string bytes = co_await s3_.get_object(read);
    if (bytes.size() != take) {
      detail::throw_malformed("GetObject " + source.bucket + "/" + source.key,
                              "asked for " + std::to_string(take) + " bytes, received " + std::to_string(bytes.size()));
    }
    co_await buffer_bytes(bytes);
    done += take;
  }
}

template <RequestSender Sender>
boost::asio::awaitable<void> multipart_upload_stream<Sender>::abort_or_report(std::exception_ptr failure) {
  if (upload_id_.empty()) co_return;
  if (auto abort_error = co_await drain_and_abort(s3_, in_flight_, bucket_, key_, upload_id_, options_.abort_timeout)) {
    throw make_upload_left_behind(failure, bucket_, key_, upload_id_, std::move(*abort_error));
  }
}

template <RequestSender Sender>
template <typename MakePart>
boost::asio::awaitable<void> multipart_upload_stream<Sender>::start_part(MakePart make_part) {
  if (upload_id_.empty()) {
    const auto executor = co_await boost::asio::this_coro::executor;
    in_flight_ = std::make_shared<in_flight_parts>(executor, options_.max_parts_in_flight);
    upload_id_ = co_await s3_.create_multipart_upload(bucket_, key_, options_.attributes);
  }
  if (next_part_ > max_parts) {
    throw std::length_error("multipart upload of " + key_ + " needs more than 10,000 parts of " +
                            std::to_string(options_.part_size) + " bytes: raise part_size");
  }
  while (in_flight_->count >= options_.max_parts_in_flight) co_await collect_one();
  if (first_error_) std::rethrow_exception(first_error_);

  const int part_number = next_part_++;
  etags_.resize(static_cast<std::size_t>(part_number));
  ++in_flight_->count;
  auto report = [parts = in_flight_, part_number](std::exception_ptr error, sent_part sent) {
    parts->cancellations[part_number].finished = true;
    parts->outcomes.try_send(boost::system::error_code(), part_outcome{part_number, std::move(sent), error});
  };
  // Its own cancellation, not the writer's: a part is cancelled only when
  // the upload is given up (drain_and_abort).
  boost::asio::cancellation_signal& cancellation = in_flight_->cancellations[part_number].signal;
  boost::asio::co_spawn(in_flight_->outcomes.get_executor(), make_part(part_number),
                        boost::asio::bind_cancellation_slot(cancellation.slot(), std::move(report)));
}

template <RequestSender Sender>
boost::asio::awaitable<void> multipart_upload_stream<Sender>::ship_part() {
  co_await start_part([this](int part_number) {
    std::string next;
    if (!spare_buffers_.empty()) {
      next = std::move(spare_buffers_.back());
      spare_buffers_.pop_back();
    }
    return upload_part(s3_, bucket_, key_, upload_id_, part_number, std::exchange(buffer_, std::move(next)));
  });
}

// The part owns its buffer while it is sent, and hands it back after.
template <RequestSender Sender>
boost::asio::awaitable<typename multipart_upload_stream<Sender>::sent_part> multipart_upload_stream<Sender>::upload_part(
    client<Sender>& s3, std::string bucket, std::string key, std::string upload_id, int part_number,
    std::string buffer) {
  std::string etag = co_await s3.upload_part_borrowing(std::move(bucket), std::move(key), std::move(upload_id),
                                                       part_number, buffer);
  buffer.clear();
  sent_part sent{std::move(etag), std::move(buffer)};
  co_return sent;
}

// The part owns what it sends: it may outlive the stream (a background abort waits for it).
template <RequestSender Sender>
boost::asio::awaitable<typename multipart_upload_stream<Sender>::sent_part> multipart_upload_stream<Sender>::copy_part(
    client<Sender>& s3, std::string bucket, std::string key, std::string upload_id, int part_number,
    stored_object source, byte_range range) {
  const upload_part_copy_request request{.bucket = bucket,
                                         .key = key,
                                         .upload_id = upload_id,
                                         .part_number = part_number,
                                         .source_bucket = source.bucket,
                                         .source_key = source.key,
                                         .range = range,
                                         .source_etag = source.etag};
  std::string etag = co_await s3.upload_part_copy(request);  // (named: g++ 12 frees a co_await inside braces twice)
  sent_part sent{std::move(etag), std::string()};
  co_return sent;
}

template <RequestSender Sender>
boost::asio::awaitable<void> multipart_upload_stream<Sender>::collect_one() {
  part_outcome outcome = co_await in_flight_->receive_one();
  if (outcome.error) {
    if (!first_error_) first_error_ = outcome.error;
  } else {
    etags_[static_cast<std::size_t>(outcome.part_number - 1)] = std::move(outcome.sent.etag);
    if (outcome.sent.buffer.capacity() >= options_.part_size) spare_buffers_.push_back(std::move(outcome.sent.buffer));
  }
}

template <RequestSender Sender>
boost::asio::awaitable<void> multipart_upload_stream<Sender>::collect_all() {
  while (in_flight_->count > 0) co_await collect_one();
}

template <RequestSender Sender>
boost::asio::awaitable<upload_summary> multipart_upload_stream<Sender>::complete() {
  ensure_open("complete");
  std::exception_ptr failure;
  bool committing = false;
  upload_summary summary;
  summary.bytes = bytes_written_;
  try {
    if (!upload_id_.empty()) {
      if (!buffer_.empty()) co_await ship_part();
      co_await collect_all();
      if (first_error_) std::rethrow_exception(first_error_);
    }
    committing = true;
    // On a coroutine the caller's cancellation does not reach (see above).
    const put_result result = co_await boost::asio::co_spawn(
        co_await boost::asio::this_coro::executor, send_final_request(),
        boost::asio::bind_cancellation_slot(boost::asio::cancellation_slot(), boost::asio::use_awaitable));
    summary.etag = result.etag;
    summary.parts = next_part_ - 1;
    summary.multipart = !upload_id_.empty();
    const auto cancellation = co_await boost::asio::this_coro::cancellation_state;
    if (cancellation.cancelled() != boost::asio::cancellation_type::none) {
      throw boost::system::system_error(boost::asio::error::operation_aborted);
    }
    state_ = state::completed;
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    state_ = state::failed;
    co_await boost::asio::this_coro::reset_cancellation_state();
    // (After a commit the upload is gone, and its abort answers NoSuchUpload.)
    std::exception_ptr left_behind;
    try {
      co_await abort_or_report(failure);
    } catch (const upload_left_behind&) {
      left_behind = std::current_exception();
    }
    if (committing && may_have_been_applied(failure)) {
      try {
        co_await s3_.delete_object({.bucket = bucket_, .key = key_});
      } catch (...) {
        // The commit's own failure is the one to report.
      }
    }
    std::rethrow_exception(left_behind ? left_behind : failure);
  }
  co_return summary;
}

template <RequestSender Sender>
boost::asio::awaitable<put_result> multipart_upload_stream<Sender>::send_final_request() {
  if (upload_id_.empty()) {
    co_return co_await s3_.put_object({.bucket = bucket_, .key = key_, .attributes = options_.attributes},
                                      std::exchange(buffer_, std::string()));
  }
  std::vector<completed_part> parts;
  parts.reserve(etags_.size());
  for (std::size_t i = 0; i < etags_.size(); ++i) parts.push_back({static_cast<int>(i + 1), std::move(etags_[i])});
  co_return co_await s3_.complete_multipart_upload(bucket_, key_, upload_id_, std::move(parts));
}

template <RequestSender Sender>
bool multipart_upload_stream<Sender>::may_have_been_applied(std::exception_ptr failure) noexcept {
  try {
    std::rethrow_exception(failure);
  } catch (const s3_error& error) {
    // A 4xx is a refusal; a 5xx, or an error inside a 200, may come after
    // the work was done.
    return error.status() < 400 || error.status() >= 500;
  } catch (const aws::config_error&) {
    return false;  // refused before anything was sent
  } catch (...) {
    return true;  // no answer, an unreadable one, or a cancellation after the commit
  }
}

template <RequestSender Sender>
boost::asio::awaitable<void> multipart_upload_stream<Sender>::abort() {
  if (state_ == state::completed || state_ == state::aborted) co_return;
  const bool started = !upload_id_.empty() && state_ == state::open;
  state_ = state::aborted;
  buffer_.clear();
  if (started) co_await abort_or_report(nullptr);
}

template <RequestSender Sender>
boost::asio::awaitable<std::optional<std::string>> multipart_upload_stream<Sender>::drain_and_abort(
    client<Sender>& s3, std::shared_ptr<in_flight_parts> parts, std::string bucket, std::string key,
    std::string upload_id, std::chrono::milliseconds timeout) {
  // Parts still uploading would otherwise land after the abort and stay.
  parts->cancel_all();
  auto last_error = std::make_shared<std::string>("no answer");
  try {
    co_await flow::with_timeout(abort_until_gone(s3, parts, std::move(bucket), std::move(key), std::move(upload_id),
                                                 last_error),
                                timeout);
    co_return std::nullopt;
  } catch (const flow::timeout_error&) {
    co_return *last_error + "; gave up after " + std::to_string(timeout.count()) + " ms";
  } catch (const std::exception& error) {
    co_return std::string(error.what());
  }
}

template <RequestSender Sender>
boost::asio::awaitable<void> multipart_upload_stream<Sender>::abort_until_gone(client<Sender>& s3,
                                                                              std::shared_ptr<in_flight_parts> parts,
                                                                              std::string bucket, std::string key,
                                                                              std::string upload_id,
                                                                              std::shared_ptr<std::string> last_error) {
  while (parts->count > 0) co_await parts->receive_one();
  for (;;) {
    try {
      co_await s3.abort_multipart_upload(bucket, key, upload_id);
      co_return;
    } catch (const s3co::error& error) {  // an S3 answer or a transport failure
      if (error.code() == "NoSuchUpload") co_return;  // already gone is what we wanted
      if (!error.retryable()) throw;
      *last_error = error.what();
    }
    // The transport has spent its own retries: wait a little before the next round.
    boost::asio::steady_timer pause(co_await boost::asio::this_coro::executor);
    pause.expires_after(std::chrono::milliseconds(250));
    co_await pause.async_wait(boost::asio::use_awaitable);
  }
}

}  // namespace s3co::s3

#if defined(S3CO_SEPARATE_COMPILATION)
// Separate compilation (detail/config.hpp): the upload stream over the Beast
// transport is compiled once, by s3co/src.hpp.
#include "s3co/http/client.hpp"
extern template class s3co::s3::multipart_upload_stream<s3co::http::client>;
#endif
