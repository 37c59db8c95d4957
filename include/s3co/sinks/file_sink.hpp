// An AsyncByteSink that writes to a local file.
//
// Writes are plain POSIX write(2) calls on the calling thread: Asio in Boost
// 1.81 has no portable asynchronous file I/O (only io_uring), and local
// writes of 64 KiB chunks are short. The awaitables therefore complete
// without suspending. There is no user-space buffer: what `write` returns
// from is in the kernel; `flush` makes it durable (fdatasync).
//
// A file_sink owns its descriptor: moving transfers it, the destructor
// closes it and ignores errors (call `close()` to see them). It is not
// synchronised: one writer at a time. Every failure is a std::system_error
// whose message names the operation and the path.
#pragma once

#include <cerrno>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/awaitable.hpp>

#include "s3co/sinks/async_byte_sink.hpp"

namespace s3co::sinks {

enum class file_mode {
  truncate,    // create or empty the file
  append,      // create or add to the end
  create_new,  // create; fail if it exists
};

class file_sink {
 public:
  // Opens `path`; throws std::system_error ("open <path>: ...").
  explicit file_sink(std::string path, file_mode mode = file_mode::truncate, ::mode_t permissions = 0644);

  file_sink(file_sink&& other) noexcept;
  file_sink& operator=(file_sink&& other) noexcept;
  file_sink(const file_sink&) = delete;
  file_sink& operator=(const file_sink&) = delete;
  ~file_sink();

  // Writes all of `bytes` (retrying short writes and EINTR).
  boost::asio::awaitable<void> write(std::string_view bytes);

  // Makes what was written durable (fdatasync). On a pipe or a character
  // device, which cannot be synced, it does nothing.
  boost::asio::awaitable<void> flush();

  // Closes the file, reporting a deferred write error if close(2) has one.
  // Closing a closed sink does nothing; writing to one is an error (EBADF).
  boost::asio::awaitable<void> close();

  bool is_open() const noexcept { return fd_ >= 0; }
  const std::string& path() const noexcept { return path_; }
  std::uint64_t bytes_written() const noexcept { return bytes_written_; }

 private:
  void write_all(std::string_view bytes);
  void sync();
  void close_descriptor();
  [[noreturn]] void fail(int error, std::string_view operation, std::string_view note = {}) const;

  std::string path_;
  int fd_ = -1;
  std::uint64_t bytes_written_ = 0;
};

static_assert(AsyncByteSink<file_sink>);

// ---------------------------------------------------------------------------

namespace detail {

inline int open_flags(file_mode mode) noexcept {
  const int common = O_WRONLY | O_CREAT | O_CLOEXEC;
  switch (mode) {
    case file_mode::append: return common | O_APPEND;
    case file_mode::create_new: return common | O_EXCL;
    case file_mode::truncate: break;
  }
  return common | O_TRUNC;
}

}  // namespace detail

inline file_sink::file_sink(std::string path, file_mode mode, ::mode_t permissions) : path_(std::move(path)) {
  do {
    fd_ = ::open(path_.c_str(), detail::open_flags(mode), permissions);
  } while (fd_ < 0 && errno == EINTR);
  if (fd_ < 0) fail(errno, "open");
}

inline file_sink::file_sink(file_sink&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)), bytes_written_(other.bytes_written_) {}

inline file_sink& file_sink::operator=(file_sink&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
    bytes_written_ = other.bytes_written_;
  }
  return *this;
}

inline file_sink::~file_sink() {
  if (fd_ >= 0) ::close(fd_);
}

inline boost::asio::awaitable<void> file_sink::write(std::string_view bytes) {
  write_all(bytes);
  co_return;
}

inline boost::asio::awaitable<void> file_sink::flush() {
  sync();
  co_return;
}

inline boost::asio::awaitable<void> file_sink::close() {
  close_descriptor();
  co_return;
}

inline void file_sink::write_all(std::string_view bytes) {
  if (fd_ < 0) fail(EBADF, "write", " (sink is closed)");
  while (!bytes.empty()) {
    const ::ssize_t written = ::write(fd_, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      fail(errno, "write");
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
    bytes_written_ += static_cast<std::uint64_t>(written);
  }
}

inline void file_sink::sync() {
  if (fd_ < 0) fail(EBADF, "flush", " (sink is closed)");
  while (::fdatasync(fd_) != 0) {
    if (errno == EINTR) continue;
    if (errno == EINVAL || errno == EROFS) return;  // pipes, character devices
    fail(errno, "flush");
  }
}

inline void file_sink::close_descriptor() {
  if (fd_ < 0) return;
  // The descriptor is gone whatever close(2) says (Linux): never retry it.
  const int result = ::close(std::exchange(fd_, -1));
  if (result != 0 && errno != EINTR) fail(errno, "close");
}

inline void file_sink::fail(int error, std::string_view operation, std::string_view note) const {
  std::string what(operation);
  what.append(" ").append(path_).append(note);
  throw std::system_error(error, std::generic_category(), what);
}

}  // namespace s3co::sinks
