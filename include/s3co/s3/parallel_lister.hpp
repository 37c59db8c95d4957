// ListObjectsV2 over one prefix with up to `chains` request chains at once,
// yielding objects in exactly the order one chain would (S3's bytewise
// order on UTF-8): no key twice, none missed, whatever the keys.
//
//   s3co::s3::parallel_lister pages(s3, {.bucket = "b", .prefix = "logs/"}, {.chains = 8});
//   while (auto page = co_await pages.next()) use(page->objects);
//
// Ranges. The listing is cut into ranges (after, through]: the keys k with
// after < k <= through (no through: to the end). A chain lists its range
// with start-after = after, follows its own continuation tokens, and stops
// at the first key past through, dropping it and the rest of that page
// (they are the next range's). A cut at m turns (a, t] into (a, m] and
// (m, t]: nothing overlaps, nothing falls between.
//
//   merger ◀─ [ range 1 ][ range 2 ][ range 3 ] … [ range n ──────────▶ end
//              chain 1    chain 2    chain 3        chain n (the tail)
//              drained first; the others wait with ≤ pages_per_chain pages each
//
// Cutting. One chain starts on the whole listing, so a listing smaller than
// a page costs its one request. Once a page arrives, its keys tell roughly
// how far a page reaches (key_density.hpp), and each free chain gets a
// window of about pages_per_chain pages, cut from the earliest range that
// reaches further than that past where its chain is:
//
//   before:  [ chain 1 at p ───────────────────────────────────────▶ end
//   after:   [ chain 1 at p ── m1 ][ m1 ── m2 ][ m2 ── m3 ] … [ mk ───▶ end
//
// The earliest, not the largest: the output is ordered and its memory
// bounded, so the keys worth listing are those just past the merger, and a
// window is sized so its chain can list it without waiting for the merger.
// Near a range's end a chain asks for about the keys left (max-keys), and
// a range whose last key has arrived asks for nothing more.
// A chain that finishes hands its slot to the next cut (usually off the
// tail, which moves the windows along). A wrong guess costs an empty range
// (one request) or a long one (cut again as chains free up), never a key.
//
// Known weakness: where keys cluster unlike the page the guess came from
// (dated names such as "2026/04/invoice-N" with N spread over every month),
// most cut ranges are empty and chains fetch pages of the next range's keys:
// correct, but slower than one chain (BENCHMARKS.md, "Parallel listing").
//
// Memory. A range buffers at most pages_per_chain pages (its chain then
// waits: backpressure), and at most 2 x chains ranges are alive (listing,
// or done and waiting for the merger): at most 2 x chains x
// (pages_per_chain + 1) pages are held, however many keys there are.
//
// Failures. A request that still fails after the client's retries fails
// the listing with its error: the other chains are cancelled and next()
// throws it, now and on every later call. The listing is never silently
// short. Cancelling a next() stops every chain (it throws operation_aborted).
//
// Threads and ownership: the chains run on a strand of the executor of the
// first next(); call next() from any executor, one call at a time. The
// lister refers to the client, which must outlive it. A lister destroyed
// before its listing ended asks its chains to stop; `co_await stop()` first
// to know they have (the client must outlive them).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <iterator>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "s3co/aws/config_error.hpp"
#include "s3co/flow/channel.hpp"
#include "s3co/s3/client.hpp"
#include "s3co/s3/key_density.hpp"
#include "s3co/s3/list_objects.hpp"

namespace s3co::s3 {

struct parallel_list_options {
  int chains = 8;           // 1..64 requests in flight at most; 1 lists as list_paginator does
  int pages_per_chain = 2;  // 1..16 pages a range buffers ahead of the merger
};

// Throws aws::config_error naming the field.
void validate(const parallel_list_options& options);

// What a listing cost (read between next() calls).
struct parallel_list_stats {
  std::uint64_t requests = 0;        // ListObjectsV2 answers received
  std::uint64_t chains_started = 0;  // ranges listed (the first included)
  std::uint64_t empty_ranges = 0;    // ranges that held no key
  std::uint64_t keys_dropped = 0;    // keys received past a range's end (another range listed them)
};

namespace detail {

// One range and what its chain has learnt; shared by the chain and the merger.
struct list_range {
  explicit list_range(std::size_t buffered_pages) : pages(buffered_pages) {}

  std::string after;                   // listed after this key
  std::optional<std::string> through;  // its last possible key; none: to the end
  std::string position;                // the last key its chain received (after, before any)
  std::optional<key_density> density;  // from its chain's last page
  bool listed = false;                 // its chain asks for nothing more
  bool held_keys = false;
  flow::channel<list_page> pages;
};

}  // namespace detail

template <RequestSender Sender>
class parallel_lister {
 public:
  parallel_lister(client<Sender>& s3, list_request request, parallel_list_options options);
  parallel_lister(client<Sender>& s3, list_request request)
      : parallel_lister(s3, std::move(request), parallel_list_options()) {}
  ~parallel_lister();

  parallel_lister(const parallel_lister&) = delete;
  parallel_lister& operator=(const parallel_lister&) = delete;

  // The next non-empty page in listing order, or nullopt after the last.
  boost::asio::awaitable<std::optional<list_page>> next();

  // Stops every chain and waits until none runs; next() then throws
  // operation_aborted (unless the listing had ended).
  boost::asio::awaitable<void> stop();

  const parallel_list_stats& stats() const noexcept { return core_->stats; }

 private:
  struct core;
  boost::asio::awaitable<void> on_strand(boost::asio::awaitable<void> work);
  std::shared_ptr<core> core_;
};

// ---------------------------------------------------------------------------

inline void validate(const parallel_list_options& options) {
  if (options.chains < 1 || options.chains > 64) {
    throw aws::config_error("chains", std::to_string(options.chains) + " is outside 1..64");
  }
  if (options.pages_per_chain < 1 || options.pages_per_chain > 16) {
    throw aws::config_error("pages_per_chain", std::to_string(options.pages_per_chain) + " is outside 1..16");
  }
}

// All of it is touched on the strand only; chains and next() hold it alive.
template <RequestSender Sender>
struct parallel_lister<Sender>::core : std::enable_shared_from_this<core> {
  using strand_type = boost::asio::strand<boost::asio::any_io_executor>;
  using range_ptr = std::shared_ptr<detail::list_range>;

  core(client<Sender>& s3_client, list_request list, parallel_list_options chosen)
      : s3(s3_client), request(std::move(list)), options(chosen) {}

  client<Sender>& s3;
  list_request request;
  parallel_list_options options;
  std::optional<strand_type> strand;
  std::optional<boost::asio::steady_timer> chains_done;  // cancelled when the last chain ends
  std::list<range_ptr> ranges;                           // in key order; the front is the merger's
  std::list<boost::asio::cancellation_signal> chain_stops;
  boost::asio::cancellation_signal merger_stop;
  flow::channel<list_page> output{1};  // the merger's pages, to next() on any executor
  int running = 0;
  bool merging = false;
  bool ended = false;  // the merger has given its last page
  std::exception_ptr failure;
  parallel_list_stats stats;

  // The first chain, over the whole listing.
  static boost::asio::awaitable<void> begin(std::shared_ptr<core> self) {
    self->chains_done.emplace(*self->strand, std::chrono::steady_clock::time_point::max());
    auto whole = std::make_shared<detail::list_range>(static_cast<std::size_t>(self->options.pages_per_chain));
    whole->after = self->request.start_after;
    whole->position = self->request.start_after;
    self->ranges.push_back(whole);
    self->start_chain(whole);
    self->merging = true;
    boost::asio::co_spawn(*self->strand, merge(self),
                          boost::asio::bind_cancellation_slot(self->merger_stop.slot(), boost::asio::detached));
    co_return;
  }

  void start_chain(const range_ptr& range) {
    ++running;
    ++stats.chains_started;
    auto& stop_signal = chain_stops.emplace_back();
    const auto stop_position = std::prev(chain_stops.end());
    boost::asio::co_spawn(*strand, list_range_chain(this->shared_from_this(), range),
                          boost::asio::bind_cancellation_slot(
                              stop_signal.slot(), [self = this->shared_from_this(), stop_position](std::exception_ptr) {
                                self->chain_stops.erase(stop_position);
                                if (--self->running == 0) self->chains_done->cancel();
                                self->cut_windows();
                              }));
  }

  // The first failure fails the listing: every range's buffer is closed with
  // it (so the merger sees it whichever range it waits on) and every chain
  // is stopped.
  void fail(std::exception_ptr error) {
    if (!failure) failure = error;
    for (const auto& range : ranges) range->pages.close(failure);
    for (auto& stop_signal : chain_stops) stop_signal.emit(boost::asio::cancellation_type::terminal);
    // (It may wait for room in `output`.)
    if (merging) merger_stop.emit(boost::asio::cancellation_type::terminal);
  }

  // Gives free chains windows, earliest first (see the header comment).
  void cut_windows() {
    const auto window_pages = static_cast<double>(options.pages_per_chain);
    const auto max_ranges = 2 * static_cast<std::size_t>(options.chains);
    while (!failure && running < options.chains && ranges.size() < max_ranges) {
      bool cut = false;
      for (auto it = ranges.begin(); it != ranges.end() && !cut; ++it) {
        detail::list_range& range = **it;
        if (range.listed || !range.density) continue;
        std::optional<std::string> end = range.density->ahead(range.position, window_pages);
        if (!end || (range.through && *end >= *range.through)) continue;
        auto rest = std::make_shared<detail::list_range>(static_cast<std::size_t>(options.pages_per_chain));
        rest->after = *end;
        rest->position = *end;
        rest->through = std::move(range.through);
        rest->density = range.density;
        range.through = std::move(end);
        start_chain(*ranges.insert(std::next(it), rest));
        cut = true;
      }
      if (!cut) {
        return;
      }
    }
  }

  // A whole page, but near the range's end about what is left (and a
  // margin): a page that runs past the end is listed twice, and parsed too.
  static int keys_to_ask(const detail::list_range& range, int page_size) {
    if (!range.through || !range.density) return page_size;
    const double pages_left = range.density->pages_between(range.position, *range.through);
    if (pages_left >= 1) return page_size;
    const double wanted = pages_left * page_size * 1.25 + 8;
    return static_cast<int>(std::clamp(wanted, 1.0, static_cast<double>(page_size)));
  }

  static boost::asio::awaitable<void> list_range_chain(std::shared_ptr<core> self, range_ptr range) {
    try {
      list_request request = self->request;
      request.start_after = range->after;
      const int page_size = request.max_keys;
      list_paginator<Sender> pages(self->s3, std::move(request));
      // (A range whose last key arrived is done: no need to ask for more.)
      while (!range->listed && !(range->through && range->position >= *range->through)) {
        pages.set_max_keys(keys_to_ask(*range, page_size));
        std::optional<list_page> page = co_await pages.next();
        if (!page) break;
        ++self->stats.requests;
        range->listed = !page->is_truncated;
        // `through` is read now, after the answer: a cut may have moved it.
        if (range->through) {
          const auto past = std::upper_bound(page->objects.begin(), page->objects.end(), *range->through,
                                             [](const std::string& through, const object_summary& object) {
                                               return through < object.key;
                                             });
          if (past != page->objects.end()) {
            self->stats.keys_dropped += static_cast<std::uint64_t>(page->objects.end() - past);
            page->objects.erase(past, page->objects.end());
            range->listed = true;
          }
        }
        if (!page->objects.empty()) {
          std::vector<std::string_view> keys;
          keys.reserve(page->objects.size());
          for (const auto& object : page->objects) keys.push_back(object.key);
          // A short page (the end of a range) says little: keep what a fuller one said.
          if (!range->density || keys.size() >= std::min<std::size_t>(64, static_cast<std::size_t>(page_size))) {
            if (auto density = detail::key_density::from_page(keys, range->position)) range->density = std::move(density);
          }
          // Before the send, which may wait: a cut made meanwhile must fall
          // after every key of this page.
          range->position = page->objects.back().key;
          range->held_keys = true;
          self->cut_windows();  // what this page showed may give free chains work
        }
        co_await range->pages.send(std::move(*page));
      }
      range->listed = true;
      if (!range->held_keys) ++self->stats.empty_ranges;
      range->pages.close();
    } catch (...) {
      range->listed = true;
      self->fail(std::current_exception());
    }
  }

  // (The timer never expires: the last chain cancels it, waking every waiter.)
  boost::asio::awaitable<void> wait_for_chains() {
    while (running > 0) {
      boost::system::error_code ignored;
      co_await chains_done->async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
    }
  }

  // Drains the ranges in order into `output`, which it closes when the
  // listing ends or, once no chain runs, with the listing's failure.
  static boost::asio::awaitable<void> merge(std::shared_ptr<core> self) {
    while (!self->failure && !self->ranges.empty()) {
      const range_ptr front = self->ranges.front();
      try {
        std::optional<list_page> page = co_await front->pages.receive();
        if (!page) {
          self->ranges.pop_front();
          self->cut_windows();
        } else if (!page->objects.empty()) {
          co_await self->output.send(std::move(*page));
        }
      } catch (...) {
        self->fail(std::current_exception());  // a chain's failure, or stop()
      }
    }
    self->merging = false;
    co_await boost::asio::this_coro::reset_cancellation_state();  // the wait must not be cut short
    co_await self->wait_for_chains();
    if (!self->failure) self->ended = true;
    self->output.close(self->failure);
  }

  static boost::asio::awaitable<void> stop_chains(std::shared_ptr<core> self) {
    if (!self->ended) {
      self->fail(std::make_exception_ptr(
          boost::system::system_error(boost::asio::error::operation_aborted, "parallel_lister stopped")));
    }
    co_await self->wait_for_chains();
  }
};

template <RequestSender Sender>
parallel_lister<Sender>::parallel_lister(client<Sender>& s3, list_request request, parallel_list_options options)
    : core_(std::make_shared<core>(s3, std::move(request), options)) {
  validate(core_->request);
  validate(options);
  if (!core_->request.delimiter.empty()) {
    throw aws::config_error("delimiter", "is not supported by the parallel lister (it lists objects only)");
  }
  if (!core_->request.continuation_token.empty()) {
    throw aws::config_error("continuation_token", "is not supported by the parallel lister (use start_after)");
  }
}

template <RequestSender Sender>
parallel_lister<Sender>::~parallel_lister() {
  if (!core_->strand) return;
  boost::asio::post(*core_->strand, [self = core_] {
    if (!self->ended) {
      self->fail(std::make_exception_ptr(
          boost::system::system_error(boost::asio::error::operation_aborted, "parallel_lister destroyed")));
    }
  });
}

// Work goes to the strand through co_spawn with no cancellation slot, and
// pages come back through a channel: Boost 1.81's co_spawn forwards a
// cancellation to another executor by posting a pointer into its own state,
// which dangles once the spawned coroutine has ended.
template <RequestSender Sender>
boost::asio::awaitable<void> parallel_lister<Sender>::on_strand(boost::asio::awaitable<void> work) {
  co_await boost::asio::co_spawn(
      *core_->strand, std::move(work),
      boost::asio::bind_cancellation_slot(boost::asio::cancellation_slot(), boost::asio::use_awaitable));
}

template <RequestSender Sender>
boost::asio::awaitable<std::optional<list_page>> parallel_lister<Sender>::next() {
  if (!core_->strand) {
    core_->strand.emplace(boost::asio::make_strand(co_await boost::asio::this_coro::executor));
    co_await on_strand(core::begin(core_));
  }
  std::exception_ptr error;
  try {
    co_return co_await core_->output.receive();
  } catch (...) {
    error = std::current_exception();  // the listing's failure, or this call cancelled
  }
  co_await boost::asio::this_coro::reset_cancellation_state();  // the wait must not be cut short
  co_await on_strand(core::stop_chains(core_));
  std::rethrow_exception(error);
}

template <RequestSender Sender>
boost::asio::awaitable<void> parallel_lister<Sender>::stop() {
  if (!core_->strand) co_return;
  co_await on_strand(core::stop_chains(core_));
}

}  // namespace s3co::s3

#if defined(S3CO_SEPARATE_COMPILATION)
// Separate compilation (detail/config.hpp): the lister over the Beast
// transport is compiled once, by s3co/src.hpp.
#include "s3co/http/client.hpp"
extern template class s3co::s3::parallel_lister<s3co::http::client>;
#endif
