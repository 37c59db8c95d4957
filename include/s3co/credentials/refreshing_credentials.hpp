// Credentials that stay valid: the chain's answer held in aws::live_credentials
// and, when it expires, fetched again in the background before it does.
//
//   auto creds = s3co::credentials::resolve_live_credentials_blocking();
//   s3co::aws::presigner signer(creds, "eu-west-1", endpoint);  // follows every refresh
//
// - When: about `lead` (5 min) before the expiration, up to `jitter` (20 %)
//   of that earlier, so that a fleet does not refresh at one instant.
//   Credentials that live less than twice the lead are refreshed half-way
//   through their remaining life (a 3 s credential after ~1.5 s). So no
//   signer waits for a refresh in the common case, and none ever signs with
//   expired credentials (the signers check the expiration).
// - A failed refresh keeps the old credentials, records why
//   (live_credentials::last_refresh_failure) and is retried with jittered
//   exponential backoff, scaled to the time left (every 2 s at most once
//   they have expired); signers fail only once the old credentials have
//   expired, with that reason.
// - Where: a refresher has its own thread and io_context, so the refresh
//   needs nothing of the caller's event loop (which may have stopped, or
//   be a thread pool) and never keeps the caller's io_context from
//   returning. Static credentials get no refresher and no thread.
//
// Ownership: the live_credentials owns its refresher (keep_alive), which
// writes into it; the refresh stops and its thread is joined when the last
// holder of the live_credentials (a client, a presigner) lets it go.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "s3co/aws/credentials.hpp"
#include "s3co/aws/live_credentials.hpp"
#include "s3co/credentials/provider_chain.hpp"

namespace s3co::credentials {

struct refresh_options {
  std::chrono::seconds lead{300};  // refresh about this long before expiry
  double jitter = 0.2;             // and up to this fraction of the lead earlier
  std::chrono::milliseconds min_retry{100};
  std::chrono::milliseconds max_retry{60'000};
};

// How long to wait, at `now`, before refreshing credentials that expire at
// `expiration`; `unit_random` is in [0, 1).
std::chrono::milliseconds time_until_refresh(aws::utc_time_point now, aws::utc_time_point expiration,
                                             const refresh_options& options, double unit_random);

// The wait before retry number `failures` (1 for the first) of a refresh.
std::chrono::milliseconds retry_delay(aws::utc_time_point now, aws::utc_time_point expiration, int failures,
                                      const refresh_options& options, double unit_random);

class credentials_refresher {
 public:
  // Refreshes `live` (which must outlive the refresher) with `refetch`.
  credentials_refresher(aws::live_credentials& live, refetch_function refetch, refresh_options options);
  ~credentials_refresher();

  credentials_refresher(const credentials_refresher&) = delete;
  credentials_refresher& operator=(const credentials_refresher&) = delete;

  std::size_t refreshes() const noexcept { return refreshes_.load(); }
  std::size_t failures() const noexcept { return failures_.load(); }

 private:
  boost::asio::awaitable<void> refresh_loop();
  double unit_random();

  aws::live_credentials& live_;
  refetch_function refetch_;
  refresh_options options_;
  std::mt19937_64 random_{std::random_device{}()};
  std::atomic<std::size_t> refreshes_{0};
  std::atomic<std::size_t> failures_{0};
  boost::asio::io_context context_{1};
  std::thread thread_;
};

// Live credentials holding `found`, refreshed in the background when it
// has an expiration and a way to fetch again.
std::shared_ptr<aws::live_credentials> make_live_credentials(found_credentials found,
                                                             refresh_options options = refresh_options());

// The chain (provider_chain.hpp), then make_live_credentials.
boost::asio::awaitable<std::shared_ptr<aws::live_credentials>> resolve_live_credentials(
    boost::asio::any_io_executor executor, chain_options chain, refresh_options refresh);
std::shared_ptr<aws::live_credentials> resolve_live_credentials_blocking(chain_options chain = chain_options(),
                                                                         refresh_options refresh = refresh_options());

// ---------------------------------------------------------------------------

inline std::chrono::milliseconds time_until_refresh(aws::utc_time_point now, aws::utc_time_point expiration,
                                                    const refresh_options& options, double unit_random) {
  using std::chrono::milliseconds;
  const auto remaining = std::chrono::duration_cast<milliseconds>(expiration - now);
  if (remaining <= milliseconds(0)) return milliseconds(0);
  const milliseconds lead = std::min<milliseconds>(options.lead, remaining / 2);
  const auto jittered = milliseconds(static_cast<milliseconds::rep>(
      static_cast<double>(lead.count()) * (1.0 + options.jitter * unit_random)));
  return std::max(milliseconds(0), remaining - jittered);
}

inline std::chrono::milliseconds retry_delay(aws::utc_time_point now, aws::utc_time_point expiration, int failures,
                                             const refresh_options& options, double unit_random) {
  using std::chrono::milliseconds;
  const auto remaining = std::chrono::duration_cast<milliseconds>(expiration - now);
  // Short-lived credentials retry sooner: a tenth of the time left, within [min_retry, 1 s].
  const milliseconds base =
      remaining > milliseconds(0) ? std::clamp<milliseconds>(remaining / 10, options.min_retry, milliseconds(1000))
                                  : milliseconds(1000);
  // Once they have expired, signers fail until a refresh succeeds: retry every few seconds at most.
  const milliseconds cap = remaining > milliseconds(0) ? options.max_retry : std::min(options.max_retry, milliseconds(2000));
  const double growth = static_cast<double>(1ULL << std::min(failures - 1, 16));
  const double capped = std::min(static_cast<double>(cap.count()), static_cast<double>(base.count()) * growth);
  return std::max(options.min_retry / 2, milliseconds(static_cast<milliseconds::rep>(capped * (0.5 + 0.5 * unit_random))));
}

inline credentials_refresher::credentials_refresher(aws::live_credentials& live, refetch_function refetch,
                                                    refresh_options options)
    : live_(live), refetch_(std::move(refetch)), options_(options) {
  boost::asio::co_spawn(context_, refresh_loop(), boost::asio::detached);
  thread_ = std::thread([this] { context_.run(); });
}

inline credentials_refresher::~credentials_refresher() {
  context_.stop();
  thread_.join();
}

inline double credentials_refresher::unit_random() {
  return std::uniform_real_distribution<double>(0.0, 1.0)(random_);
}

inline boost::asio::awaitable<void> credentials_refresher::refresh_loop() {
  const auto executor = co_await boost::asio::this_coro::executor;
  boost::asio::steady_timer timer(executor);
  int failures = 0;
  for (;;) {
    const std::shared_ptr<const aws::credentials> current = live_.current();
    if (!current->expiration) co_return;  // nothing left to refresh
    const auto now = std::chrono::system_clock::now();
    timer.expires_after(failures == 0 ? time_until_refresh(now, *current->expiration, options_, unit_random())
                                      : retry_delay(now, *current->expiration, failures, options_, unit_random()));
    co_await timer.async_wait(boost::asio::use_awaitable);
    try {
      aws::credentials fresh = co_await refetch_(executor);
      if (!aws::unexpired(fresh, std::chrono::system_clock::now())) {
        throw provider_error(live_.source(), "answered credentials that have already expired");
      }
      const bool changed = fresh.access_key_id != current->access_key_id ||
                           fresh.secret_access_key != current->secret_access_key ||
                           fresh.session_token != current->session_token || fresh.expiration != current->expiration;
      // The same credentials again (a source that hands them out until close
      // to expiry) need no new signing keys.
      if (changed) live_.replace(std::move(fresh));
      failures = 0;
      ++refreshes_;
    } catch (const std::exception& failed) {
      live_.record_refresh_failure(failed.what());
      ++failures;
      ++failures_;
    }
  }
}

inline std::shared_ptr<aws::live_credentials> make_live_credentials(found_credentials found, refresh_options options) {
  const bool refreshable = found.value.expiration && found.refetch;
  auto live = std::make_shared<aws::live_credentials>(std::move(found.value), std::move(found.source));
  if (refreshable) live->keep_alive(std::make_shared<credentials_refresher>(*live, std::move(found.refetch), options));
  return live;
}

inline boost::asio::awaitable<std::shared_ptr<aws::live_credentials>> resolve_live_credentials(
    boost::asio::any_io_executor executor, chain_options chain, refresh_options refresh) {
  found_credentials found = co_await find_credentials(std::move(executor), std::move(chain));
  co_return make_live_credentials(std::move(found), refresh);
}

inline std::shared_ptr<aws::live_credentials> resolve_live_credentials_blocking(chain_options chain,
                                                                                refresh_options refresh) {
  return make_live_credentials(find_credentials_blocking(std::move(chain)), refresh);
}

}  // namespace s3co::credentials
