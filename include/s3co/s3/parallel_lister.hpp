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
// The listing itself is the range (request.start_after, options.end_before),
// the one range whose end is excluded (a shard of a job, say).
//
//   merger ◀─ [ range 1 ][ range 2 ][ range 3 ] … [ range n ──────────▶ end
//              chain 1    chain 2    chain 3        chain n (the tail)
//              drained first; the others wait with ≤ pages_per_chain pages each
//
// Cutting. One chain starts on the whole listing, so a listing smaller than
// a page costs its one request. Cuts come from two sources, and free
// chains take the earliest range that can be cut (the output is ordered
// and its memory bounded, so the keys worth listing are those just past
// the merger):
//
// 1. Groups. A page whose keys all sit in one folder ("2026/04/...") says
//    nothing of where that folder's siblings start. Its range then sends
//    delimiter probes (delimiter "/", start-after its position), one per
//    level above the folder ("", "2026/"), all at once; the common
//    prefixes they return are cuts, just before each group (at the group
//    minus its "/", so an object named like the folder goes with it):
//
//      probe "":      2026/ 2027/ 2028/          probe "2026/": 2026/05/ 2026/06/ ...
//      [ 2026/04/... ─ 2026/05][ 2026/05/... ─ 2026/06] … [ 2027/... ─ 2028] …
//
//    A range that ends just before the group after its own group, with no
//    object between them in the probe, holds only that group's keys: its
//    chain lists under the group and stops at its end, no page past the cut.
// 2. Key density. Within a group, a page's keys tell roughly how far a page
//    reaches (key_density.hpp, which never guesses past the page's folder),
//    and a range is cut a window of about pages_per_chain pages past its
//    position (less when its buffer has less room: a range must not hold
//    more than its buffer, or its last pages wait for the merger unasked).
//    Windows are guesses, so they grow like a congestion window: a range
//    starts cutting them after its second page, and a run of them may have
//    one unlisted window more than it has windows that found keys. Where a
//    group ends, a window turns out empty, and its run cuts none past it.
//    Groups alike are common (months, shards), so a new run starts where
//    the best run so far got to (up to 4 windows), after its range's first
//    page, and no window is cut past where the keys of the folders at the
//    same depth ended so far (a folder's last window ends there).
//
// Groups are cut first while fewer ranges than chains exist, so that every
// chain has certain work; past that, the earliest range goes first, so
// that one large group does not wait behind many small ones. A page that
// spans many folders (one key per folder, say) needs no probe: its density
// reads across them. A chain that finishes hands its slot to the next cut.
// A chain near the merger whose buffer fills hands the rest of its range
// to a new range (cut at its last key: exact, no guess) instead of waiting:
// the merger would otherwise wait a round trip for each page past the
// buffer when it gets there.
// A wrong guess costs an empty range (one request) or a long one (cut again
// as chains free up), never a key. Near a range's end a chain asks for
// about the keys left (max-keys), and a range whose last key has arrived
// asks for nothing more; a reduced ask that comes back full (the density
// was read wrong) doubles the next, so a range never crawls in small pages.
//
// Memory. A range buffers at most pages_per_chain pages (its chain then
// waits: backpressure, and gives its request slot to other work until the
// merger takes a page; it then has the first claim on a slot, before any
// new cut), and at most 3 x chains ranges are listing or hold pages (done
// and waiting for the merger; one that ended empty holds none): at most
// 3 x chains x (pages_per_chain + 1) pages are held, however many keys
// there are, plus the group names of the probes (at most a page of them
// per probe, one probe per folder level per range), and one key suffix
// per folder depth.
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
#include <cmath>
#include <cstdint>
#include <exception>
#include <iterator>
#include <list>
#include <memory>
#include <mutex>
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
  int chains = 8;           // 1..64 requests in flight at most (probes included); 1 lists as list_paginator does
  int pages_per_chain = 2;  // 1..16 pages a range buffers ahead of the merger
  // The listing ends before this key: it holds the keys k with
  // request.start_after < k < end_before (none: to the prefix's end), and
  // asks for no page past it.
  std::optional<std::string> end_before{};
};

// Throws aws::config_error naming the field.
void validate(const parallel_list_options& options);

// What a listing cost (parallel_lister::stats()).
struct parallel_list_stats {
  std::uint64_t requests = 0;        // ListObjectsV2 answers received
  std::uint64_t chains_started = 0;  // ranges listed (the first included)
  std::uint64_t empty_ranges = 0;    // ranges that held no key
  std::uint64_t keys_dropped = 0;    // keys received past a range's end (another range listed them)
  std::uint64_t probes = 0;          // delimiter probes among the requests
};

namespace detail {

// A place to cut found by a delimiter probe: just before the common prefix
// `group` (at `group` minus its delimiter, so that an object named like
// the group itself falls after the cut).
struct list_boundary {
  std::string group{};                        // a common prefix, ending in '/'
  std::string level{};                        // the prefix probed (the group's parent)
  bool clean_before = false;                  // no object lies between the probe's previous entry (or start) and it
  std::optional<std::string> group_before{};  // that previous entry, when a common prefix and clean_before
  bool more_after = false;                  // the probe stopped after it (there may be more groups)

  std::string_view cut() const { return std::string_view(group).substr(0, group.size() - 1); }
};

// Density windows cut one from another, and what they have shown.
struct window_run {
  int found_keys = 0;  // its windows that have received keys
  int unseen = 0;      // its windows that have received nothing and are still listing
  std::optional<std::string> ended_at{};  // where its first window that held no key began
};

// One range and what its chain has learnt; shared by the chain and the merger.
struct list_range {
  explicit list_range(std::size_t buffered_pages) : pages(buffered_pages) {}

  std::string after;                   // listed after this key
  std::optional<std::string> through;  // its last possible key; none: to the end
  bool through_excluded = false;       // through is the listing's end_before: its keys lie before it
  std::string position;                // the last key its chain received (after, before any)
  std::string list_prefix;             // a narrower prefix holding all its keys left (empty: none known)
  std::string first_group;             // the group its keys begin with, when cut just before it (empty: unknown)
  std::optional<key_density> density;  // from its chain's last full page
  std::string page_common;             // the leading bytes all keys of that page share
  std::optional<std::string> known_level;  // this prefix and those it extends have been probed here
  std::vector<list_boundary> boundaries;   // in key order, each after `position`
  int probes = 0;                          // delimiter probes in flight for it
  std::shared_ptr<window_run> windows;     // the run of density windows it belongs to
  bool unseen_window = false;              // a window of that run, no page listed yet
  int pages_received = 0;                  // pages holding keys its chain received
  int short_asks = 0;                      // reduced asks that came back full: each doubles the next
  bool listed = false;                     // its chain asks for nothing more
  std::size_t pages_waiting = 0;           // sent to the merger, not taken yet
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

  // A snapshot, safe to take from any thread at any time.
  parallel_list_stats stats() const {
    std::lock_guard lock(core_->stats_mutex);
    return core_->stats;
  }

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
  std::optional<boost::asio::steady_timer> slot_freed;   // cancelled whenever a request slot frees
  std::list<range_ptr> ranges;                           // in key order; the front is the merger's
  std::list<boost::asio::cancellation_signal> chain_stops;
  boost::asio::cancellation_signal merger_stop;
  flow::channel<list_page> output{1};  // the merger's pages, to next() on any executor
  int running = 0;           // tasks holding a request slot
  int waiting_for_slot = 0;  // chains the merger let go on, waiting to ask again
  bool merging = false;
  bool ended = false;  // the merger has given its last page
  std::exception_ptr failure;
  // Written on the strand, read by stats() on the caller's thread.
  mutable std::mutex stats_mutex;
  parallel_list_stats stats;

  template <typename Change>
  void count(Change change) {
    std::lock_guard lock(stats_mutex);
    change(stats);
  }

  // The first chain, over the whole listing.
  static boost::asio::awaitable<void> begin(std::shared_ptr<core> self) {
    self->chains_done.emplace(*self->strand, std::chrono::steady_clock::time_point::max());
    self->slot_freed.emplace(*self->strand, std::chrono::steady_clock::time_point::max());
    auto whole = std::make_shared<detail::list_range>(static_cast<std::size_t>(self->options.pages_per_chain));
    whole->after = self->request.start_after;
    whole->position = self->request.start_after;
    whole->through = self->options.end_before;
    whole->through_excluded = self->options.end_before.has_value();
    self->ranges.push_back(whole);
    self->start_chain(whole);
    self->merging = true;
    boost::asio::co_spawn(*self->strand, merge(self),
                          boost::asio::bind_cancellation_slot(self->merger_stop.slot(), boost::asio::detached));
    co_return;
  }

  // A chain or a probe: `running` counts both (at most options.chains).
  void start_task(boost::asio::awaitable<void> task) {
    ++running;
    auto& stop_signal = chain_stops.emplace_back();
    const auto stop_position = std::prev(chain_stops.end());
    boost::asio::co_spawn(*strand, std::move(task),
                          boost::asio::bind_cancellation_slot(
                              stop_signal.slot(), [self = this->shared_from_this(), stop_position](std::exception_ptr) {
                                self->chain_stops.erase(stop_position);
                                if (--self->running == 0) self->chains_done->cancel();
                                self->slot_freed->cancel();
                                self->cut_windows();
                              }));
  }

  void start_chain(const range_ptr& range) {
    count([](parallel_list_stats& s) { ++s.chains_started; });
    start_task(list_range_chain(this->shared_from_this(), range));
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

  // Gives free chains work, earliest range first (see the header comment):
  // probes where a page sits in one group of unknown siblings, then cuts
  // at the groups found, then cuts by key density.
  void cut_windows() {
    while (!failure && slot_free()) {
      if (!probe_groups() && !cut_earliest()) return;
    }
  }

  // The prefixes (each ending in '/', or the listing's prefix) whose groups
  // a probe of this range should list: those above the group its last full
  // page sits in, not probed for it yet. None when that page spans groups
  // (its key density then reads across them).
  std::vector<std::string> levels_to_probe(const detail::list_range& range) const {
    std::vector<std::string> levels;
    if (range.listed || range.probes > 0 || range.page_common.empty()) return levels;
    const std::string& prefix = request.prefix;
    const auto unknown = [&range](std::string_view level) {
      return !range.known_level || !std::string_view(*range.known_level).starts_with(level);
    };
    const std::size_t group_end = range.page_common.rfind('/');  // the page's group: page_common[0, group_end]
    if (group_end == std::string::npos || group_end + 1 <= prefix.size()) return levels;
    if (unknown(prefix)) levels.push_back(prefix);
    for (std::size_t slash = range.page_common.find('/', prefix.size()); slash < group_end;
         slash = range.page_common.find('/', slash + 1)) {
      const std::string_view level = std::string_view(range.page_common).substr(0, slash + 1);
      if (level.size() > prefix.size() && unknown(level)) levels.emplace_back(level);
    }
    return levels;
  }

  bool probe_groups() {
    for (const range_ptr& range : ranges) {
      std::vector<std::string> levels = levels_to_probe(*range);
      if (levels.empty()) continue;
      // Shallowest first; the deepest one started is known, with the prefixes it extends.
      for (auto& level : levels) {
        if (!slot_free()) break;
        range->known_level = level;
        ++range->probes;
        start_task(probe_level(this->shared_from_this(), range, std::move(level)));
      }
      return true;
    }
    return false;
  }

  // Ranges that are listing or hold pages; one that ended empty holds nothing.
  bool may_cut() const {
    const auto live = std::count_if(ranges.begin(), ranges.end(), [](const range_ptr& range) {
      return !range->listed || range->pages_waiting > 0;
    });
    return static_cast<std::size_t>(live) < 3 * static_cast<std::size_t>(options.chains);
  }

  // The most windows of one run that found keys, so far; a new run may
  // start from there, up to max_inherited_windows (see the header comment).
  int best_window_run = 0;
  static constexpr int max_inherited_windows = 4;

  // Splits `at`'s range at `cut` (inside it, after its position): the new
  // range after the cut takes the boundaries past it and is listed by a new chain.
  range_ptr cut_range(std::list<range_ptr>::iterator at, std::string cut) {
    detail::list_range& range = **at;
    auto rest = std::make_shared<detail::list_range>(static_cast<std::size_t>(options.pages_per_chain));
    rest->after = cut;
    rest->position = cut;
    rest->through = std::move(range.through);
    rest->through_excluded = std::exchange(range.through_excluded, false);
    rest->list_prefix = range.list_prefix;  // (a subset of its keys: all under it too)
    const auto past = std::upper_bound(range.boundaries.begin(), range.boundaries.end(), std::string_view(cut),
                                       [](std::string_view key, const detail::list_boundary& boundary) {
                                         return key < boundary.cut();
                                       });
    rest->boundaries.assign(std::make_move_iterator(past), std::make_move_iterator(range.boundaries.end()));
    range.boundaries.erase(past, range.boundaries.end());
    range.through = std::move(cut);
    start_chain(*ranges.insert(std::next(at), rest));
    return rest;
  }

  // The first boundary past a range's position, once the keys before it are
  // certain to be its range's (boundaries it has passed are dropped).
  static const detail::list_boundary* next_boundary(detail::list_range& range) {
    auto& boundaries = range.boundaries;
    const auto passed = std::find_if(boundaries.begin(), boundaries.end(), [&range](const detail::list_boundary& boundary) {
      return boundary.cut() > range.position;
    });
    boundaries.erase(boundaries.begin(), passed);
    if (boundaries.empty() || (range.through && boundaries.front().cut() >= *range.through)) return nullptr;
    return &boundaries.front();
  }

  // The earliest range that can be cut at the next group a probe found,
  // while half the ranges allowed are left; else the earliest that can be
  // cut at all, by group or by key density (cut_by_density). Groups are
  // certain work and density windows guesses, but a large group must not
  // wait behind many small ones.
  bool cut_earliest() {
    if (!may_cut()) return false;
    if (ranges.size() < static_cast<std::size_t>(options.chains)) {
      for (auto it = ranges.begin(); it != ranges.end(); ++it) {
        if (!(*it)->listed && cut_at_group(it)) return true;
      }
    }
    for (auto it = ranges.begin(); it != ranges.end(); ++it) {
      if ((*it)->listed) continue;
      if (cut_at_group(it) || cut_by_density(it)) return true;
    }
    return false;
  }

  bool cut_at_group(std::list<range_ptr>::iterator it) {
    detail::list_range& range = **it;
    const detail::list_boundary* boundary = next_boundary(range);
    if (!boundary) return false;
    const detail::list_boundary taken = *boundary;
    range.boundaries.erase(range.boundaries.begin());
    const range_ptr rest = cut_range(it, std::string(taken.cut()));
    // A range that now ends just before a group that follows its own group
    // in the probe holds that group's keys only: its chain lists under it
    // and stops at its end (no page past the cut).
    if (const auto& group = taken.group_before;
        group && (range.position.compare(0, group->size(), *group) == 0 ||
                  (range.position == range.after && range.first_group == *group))) {
      range.list_prefix = *group;
    }
    if (taken.clean_before) rest->first_group = taken.group;
    // A probe that stopped after this group found no more of its level:
    // the range after it probes that level again.
    if (!taken.more_after) {
      rest->known_level = taken.level;
    } else if (taken.level.size() > request.prefix.size()) {
      rest->known_level = parent_level(taken.level);
    }
    return true;
  }

  // The level above `level` (a prefix ending in '/', longer than the
  // listing's): up to its previous '/', or the listing's prefix.
  std::string parent_level(std::string_view level) const {
    const std::size_t slash = level.rfind('/', level.size() - 2);
    if (slash == std::string_view::npos || slash + 1 <= request.prefix.size()) return request.prefix;
    return std::string(level.substr(0, slash + 1));
  }

  // Folders at one depth are often alike (the months of years, say): the
  // greatest key suffix received under any folder of a depth ("invoice-
  // 00999975.pdf" under "2026/04/") tells where its siblings' keys are
  // likely to end. Indexed by the depth (the number of '/' in the folder).
  std::vector<std::string> sibling_extent;

  // The folder a range's last full page sat in (empty: none below the prefix).
  std::string_view folder_of(const detail::list_range& range) const {
    const std::size_t folder_end = range.page_common.rfind('/');
    if (folder_end == std::string::npos || folder_end + 1 <= request.prefix.size()) return {};
    return std::string_view(range.page_common).substr(0, folder_end + 1);
  }

  static std::size_t depth_of(std::string_view folder) {
    return static_cast<std::size_t>(std::count(folder.begin(), folder.end(), '/'));
  }

  void note_extent(const detail::list_range& range) {
    const std::string_view folder = folder_of(range);
    if (folder.empty() || !std::string_view(range.position).starts_with(folder)) return;
    const std::size_t depth = depth_of(folder);
    if (sibling_extent.size() <= depth) sibling_extent.resize(depth + 1);
    const std::string_view suffix = std::string_view(range.position).substr(folder.size());
    if (suffix > sibling_extent[depth]) sibling_extent[depth] = std::string(suffix);
  }

  // Where a range's keys likely end, from its folder's siblings (none: unknown).
  std::optional<std::string> likely_end(const detail::list_range& range) const {
    const std::string_view folder = folder_of(range);
    if (folder.empty()) return std::nullopt;
    const std::size_t depth = depth_of(folder);
    if (depth >= sibling_extent.size() || sibling_extent[depth].empty()) return std::nullopt;
    return std::string(folder) + sibling_extent[depth];
  }

  // A window past the range's position, by its key density (which never
  // guesses past the folder its page sits in), of about pages_per_chain
  // pages but no more than the range's buffer has room for: a range that
  // had more to list than its buffer holds would wait for the merger with
  // its last pages unasked, and the merger would then wait a round trip
  // for each (the first window of a range that has shown a page is
  // smaller). Windows are guesses: a run of them starts once a range has
  // received two pages, and may have one unlisted window more than it has
  // windows that found keys: it grows (doubling each round trip) only where
  // keys turn out to be. Once a run has found keys in two windows or more,
  // later runs start after one page, with as many unlisted windows as it
  // found (at most max_inherited_windows). A window that turns out empty
  // ends its run: no window is cut past where it began. And no window is
  // cut past where the range's sibling folders' keys ended (likely_end):
  // one reaching past it is cut there instead, and the rest of the range
  // (most likely empty) is left to one request.
  bool cut_by_density(std::list<range_ptr>::iterator it) {
    detail::list_range& range = **it;
    // (No range has levels left to probe: cut_windows probes before it cuts.)
    if (!range.density || range.probes > 0) return false;
    const int inherited = std::min(best_window_run, max_inherited_windows);
    if (range.windows ? range.windows->unseen > std::max(range.windows->found_keys, inherited)
                      : range.pages_received < (inherited >= 2 ? 1 : 2)) {
      return false;
    }
    const double buffer_room = static_cast<double>(options.pages_per_chain + 1) -
                               static_cast<double>(range.pages_waiting) - 0.25;  // (a density's error)
    const double pages = std::clamp(buffer_room, 0.5, static_cast<double>(options.pages_per_chain));
    std::optional<std::string> end = range.density->ahead(range.position, pages);
    if (!end || (range.through && *end >= *range.through)) return false;
    if (range.windows && range.windows->ended_at && *end >= *range.windows->ended_at) return false;
    if (std::optional<std::string> siblings_end = likely_end(range); siblings_end && *end >= *siblings_end) {
      if (*siblings_end <= range.position || range.density->pages_between(range.position, *siblings_end) < 0.5) {
        return false;
      }
      end = std::move(siblings_end);
    }
    if (!range.windows) range.windows = std::make_shared<detail::window_run>();
    const range_ptr rest = cut_range(it, std::move(*end));
    rest->density = range.density;
    rest->page_common = range.page_common;
    rest->known_level = range.known_level;
    rest->windows = range.windows;
    rest->unseen_window = true;
    ++rest->windows->unseen;
    return true;
  }

  // Adds a probe's groups as boundaries of the ranges they fall in.
  void add_boundaries(const list_page& page, const std::string& level) {
    const auto& groups = page.common_prefixes;
    auto range_it = ranges.begin();
    for (std::size_t i = 0; i < groups.size(); ++i) {
      detail::list_boundary boundary{.group = groups[i], .level = level};
      if (boundary.group.size() <= level.size()) continue;
      // Clean when no object of the probe lies between the previous group (or the probe's start) and it.
      const auto object = i == 0 ? page.objects.begin()
                                 : std::upper_bound(page.objects.begin(), page.objects.end(), groups[i - 1],
                                                    [](const std::string& key, const object_summary& summary) {
                                                      return key < summary.key;
                                                    });
      boundary.clean_before = object == page.objects.end() || object->key > groups[i];
      if (i > 0 && boundary.clean_before) boundary.group_before = groups[i - 1];
      boundary.more_after = page.is_truncated && i + 1 == groups.size();
      const std::string_view cut = boundary.cut();
      while (range_it != ranges.end() && (*range_it)->through && *(*range_it)->through <= cut) ++range_it;
      if (range_it == ranges.end()) break;
      detail::list_range& range = **range_it;
      if (range.listed || cut <= range.position) continue;
      auto& boundaries = range.boundaries;
      const auto at = std::lower_bound(boundaries.begin(), boundaries.end(), cut,
                                       [](const detail::list_boundary& existing, std::string_view key) {
                                         return existing.cut() < key;
                                       });
      if (at != boundaries.end() && at->cut() == cut) continue;
      boundaries.insert(at, std::move(boundary));
    }
  }

  static boost::asio::awaitable<void> probe_level(std::shared_ptr<core> self, range_ptr range, std::string level) {
    try {
      list_request probe = self->request;
      probe.prefix = level;
      probe.delimiter = "/";
      probe.start_after = range->position;
      list_paginator<Sender> pages(self->s3, std::move(probe));
      std::optional<list_page> page = co_await pages.next();
      self->count([](parallel_list_stats& s) {
        ++s.requests;
        ++s.probes;
      });
      if (page) self->add_boundaries(*page, level);
    } catch (...) {
      self->fail(std::current_exception());
    }
    --range->probes;
  }

  // A window that has shown a page, or ended, no longer counts as a guess.
  void window_seen(detail::list_range& range) {
    if (!range.unseen_window) return;
    range.unseen_window = false;
    --range.windows->unseen;
    if (range.pages_received > 0) best_window_run = std::max(best_window_run, ++range.windows->found_keys);
  }

  // A range near the merger (among its first 2 x chains) whose buffer this
  // page fills would make its chain wait there: the rest of it becomes a
  // range of its own, cut at its last key, whose chain lists on meanwhile.
  // Farther ones wait: their pages would be held long before the merger
  // gets to them.
  bool hand_off_rest(const range_ptr& range) {
    if (options.chains == 1 || range->listed || failure || !may_cut()) return false;
    if (range->pages_waiting + 1 < range->pages.capacity()) return false;
    if (range->through && range->position >= *range->through) return false;
    const auto it = std::find(ranges.begin(), ranges.end(), range);
    if (std::distance(ranges.begin(), it) >= 2 * static_cast<std::ptrdiff_t>(options.chains)) return false;
    const range_ptr rest = cut_range(it, range->position);
    rest->density = range->density;
    rest->page_common = range->page_common;
    rest->known_level = range->known_level;
    rest->windows = range->windows;
    rest->pages_received = range->pages_received;
    range->listed = true;
    return true;
  }

  // A whole page, but near the range's end about what is left (and a
  // margin): a page that runs past the end is listed twice, and parsed too.
  // A density read wrong keeps its range from asking small pages for ever:
  // each reduced ask that came back full doubles the next.
  static int keys_to_ask(const detail::list_range& range, int page_size) {
    if (!range.through || !range.density || !range.list_prefix.empty()) return page_size;
    const double pages_left = range.density->pages_between(range.position, *range.through);
    if (pages_left >= 1) return page_size;
    const double wanted = (pages_left * page_size * 1.25 + 8) * std::ldexp(1.0, std::min(range.short_asks, 16));
    return static_cast<int>(std::clamp(wanted, 1.0, static_cast<double>(page_size)));
  }

  static boost::asio::awaitable<void> list_range_chain(std::shared_ptr<core> self, range_ptr range) {
    try {
      const int page_size = self->request.max_keys;
      std::optional<list_paginator<Sender>> pages;
      std::string listing_under;
      // (A range whose last key arrived is done: no need to ask for more.)
      while (!range->listed && !(range->through && range->position >= *range->through)) {
        // A cut may have found the one group the rest of the range lies in.
        if (!pages || range->list_prefix != listing_under) {
          list_request request = self->request;
          if (!range->list_prefix.empty()) request.prefix = range->list_prefix;
          request.start_after = range->position;
          listing_under = range->list_prefix;
          pages.emplace(self->s3, std::move(request));
        }
        const int asked = keys_to_ask(*range, page_size);
        pages->set_max_keys(asked);
        std::optional<list_page> page = co_await pages->next();
        if (!page) break;
        self->count([](parallel_list_stats& s) { ++s.requests; });
        range->listed = !page->is_truncated;
        if (asked < page_size && page->is_truncated && page->objects.size() >= static_cast<std::size_t>(asked) &&
            (!range->through || page->objects.back().key < *range->through)) {
          ++range->short_asks;
        }
        // `through` is read now, after the answer: a cut may have moved it.
        if (range->through) {
          const auto past = std::partition_point(
              page->objects.begin(), page->objects.end(),
              [through = std::string_view(*range->through), excluded = range->through_excluded](
                  const object_summary& object) { return excluded ? object.key < through : object.key <= through; });
          if (past != page->objects.end()) {
            const auto dropped = static_cast<std::uint64_t>(page->objects.end() - past);
            self->count([dropped](parallel_list_stats& s) { s.keys_dropped += dropped; });
            page->objects.erase(past, page->objects.end());
            range->listed = true;
          }
        }
        if (!page->objects.empty()) {
          // A short page (the end of a range) says little: keep what a fuller one said.
          if (!range->density || page->objects.size() >= std::min<std::size_t>(64, static_cast<std::size_t>(page_size))) {
            std::vector<std::string_view> keys;
            keys.reserve(page->objects.size());
            for (const auto& object : page->objects) keys.push_back(object.key);
            if (auto density = detail::key_density::from_page(keys, range->position)) range->density = std::move(density);
            if (keys.size() >= 2) {
              const std::size_t shared = detail::key_density_detail::common_prefix(keys.front(), keys.back());
              range->page_common = std::string(keys.front().substr(0, shared));
            }
          }
          ++range->pages_received;
          // Before the send, which may wait: a cut made meanwhile must fall
          // after every key of this page.
          range->position = page->objects.back().key;
          self->note_extent(*range);
          self->window_seen(*range);
          self->cut_windows();  // what this page showed may give free chains work
        }
        if (page->objects.empty()) continue;  // nothing for the merger: no buffer taken
        const bool handed_off = self->hand_off_rest(range);
        co_await self->send_without_slot(*range, std::move(*page), !handed_off);
      }
      range->listed = true;
      self->window_seen(*range);
      if (range->pages_received == 0) {
        self->count([](parallel_list_stats& s) { ++s.empty_ranges; });
        const auto& run = range->windows;
        if (run && (!run->ended_at || range->after < *run->ended_at)) run->ended_at = range->after;
      }
      range->pages.close();
    } catch (...) {
      range->listed = true;
      self->window_seen(*range);
      self->fail(std::current_exception());
    }
  }

  // A slot for new work: none while chains the merger let go on wait for one.
  bool slot_free() const { return running + waiting_for_slot < options.chains; }

  // Hands `page` to the merger. A chain waiting for the merger
  // (backpressure) asks for nothing, so its request slot serves other work
  // meanwhile; it takes one back, before any new cut does, to ask again
  // (unless it has nothing more to ask). (One chain keeps its slot: it is
  // the listing, as list_paginator's.)
  boost::asio::awaitable<void> send_without_slot(detail::list_range& range, list_page page, bool ask_again) {
    ++range.pages_waiting;
    if (options.chains == 1) {
      co_await range.pages.send(std::move(page));
      co_return;
    }
    --running;
    slot_freed->cancel();
    cut_windows();
    try {
      co_await range.pages.send(std::move(page));
    } catch (...) {
      ++running;  // the task's end gives it back
      throw;
    }
    if (!ask_again) {
      ++running;  // (likewise)
      co_return;
    }
    ++waiting_for_slot;
    while (running >= options.chains && !failure) {
      boost::system::error_code ignored;
      co_await slot_freed->async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
    }
    --waiting_for_slot;
    ++running;
    if (failure) std::rethrow_exception(failure);
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
        } else {
          --front->pages_waiting;
          if (!page->objects.empty()) co_await self->output.send(std::move(*page));
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
  if (options.end_before && *options.end_before <= core_->request.start_after) {
    throw aws::config_error("end_before", "must come after start_after: the listing would be empty");
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
