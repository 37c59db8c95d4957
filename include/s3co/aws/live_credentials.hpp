// The credentials in use right now, shared by every signer of a client and
// replaced when they are refreshed.
//
// One writer (the refresh, credentials/refreshing_credentials.hpp) calls
// replace(); any number of signers on any threads read. A reader keeps the
// version it signed with and compares it with version(), one atomic load,
// before each signature: only when it has changed does it take the lock,
// copy the new credentials and derive its signing key again. So the presign
// hot path costs one load more than with fixed credentials.
//
// A failed refresh leaves the old credentials in place (they stay valid
// until their expiration) and records why it failed; a signer that finds
// its credentials expired throws credentials_expired with that reason.
//
// Ownership: held by shared_ptr by the client and every presigner made from
// it. `keep_alive` hands it what produces the refreshes (a refresher), which
// it then owns and destroys first, so the refresh runs as long as anyone
// signs with these credentials, and stops when the last user lets go.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "s3co/aws/amz_time.hpp"
#include "s3co/aws/credentials.hpp"
#include "s3co/error.hpp"

namespace s3co::aws {

// Signing was asked of credentials whose expiration has passed (and that no
// refresh replaced). Never holds a secret.
class credentials_expired : public s3co::error {
 public:
  explicit credentials_expired(const std::string& what) : s3co::error(what, {.operation = "credentials"}) {}
};

class live_credentials {
 public:
  live_credentials(credentials initial, std::string source);
  ~live_credentials();

  live_credentials(const live_credentials&) = delete;
  live_credentials& operator=(const live_credentials&) = delete;

  // Bumped by every replace(); starts at 1.
  std::uint64_t version() const noexcept { return version_.load(std::memory_order_acquire); }
  // The credentials now, and the version they belong to.
  std::shared_ptr<const credentials> current(std::uint64_t* version_out = nullptr) const;
  const std::string& source() const noexcept { return source_; }

  void replace(credentials fresh);
  void record_refresh_failure(std::string why);
  std::string last_refresh_failure() const;

  // The error a signer throws for expired credentials: says when they
  // expired, from which source, and why no refresh replaced them.
  credentials_expired expired_error(const credentials& expired) const;

  void keep_alive(std::shared_ptr<void> refresher);

 private:
  const std::string source_;
  mutable std::mutex mutex_;
  std::shared_ptr<const credentials> current_;
  std::string last_refresh_failure_;
  std::atomic<std::uint64_t> version_{1};
  std::shared_ptr<void> refresher_;  // reset first in the destructor: it writes into the members above
};

// ---------------------------------------------------------------------------

inline live_credentials::live_credentials(credentials initial, std::string source)
    : source_(std::move(source)), current_(std::make_shared<const credentials>(std::move(initial))) {
  validate_credentials(*current_, source_);
}

inline live_credentials::~live_credentials() {
  std::shared_ptr<void> refresher;
  {
    std::lock_guard lock(mutex_);
    refresher.swap(refresher_);
  }
  refresher.reset();  // stops and joins the refresh outside the lock, which it takes
}

inline std::shared_ptr<const credentials> live_credentials::current(std::uint64_t* version_out) const {
  std::lock_guard lock(mutex_);
  if (version_out != nullptr) *version_out = version_.load(std::memory_order_relaxed);
  return current_;
}

inline void live_credentials::replace(credentials fresh) {
  validate_credentials(fresh, source_);
  auto next = std::make_shared<const credentials>(std::move(fresh));
  std::lock_guard lock(mutex_);
  current_ = std::move(next);
  last_refresh_failure_.clear();
  version_.fetch_add(1, std::memory_order_release);
}

inline void live_credentials::record_refresh_failure(std::string why) {
  std::lock_guard lock(mutex_);
  last_refresh_failure_ = std::move(why);
}

inline std::string live_credentials::last_refresh_failure() const {
  std::lock_guard lock(mutex_);
  return last_refresh_failure_;
}

inline credentials_expired live_credentials::expired_error(const credentials& expired) const {
  std::string what = "credentials from " + source_ + " expired";
  if (expired.expiration) what += std::string(" at ") + std::string(amz_timestamp(*expired.expiration).text());
  const std::string failure = last_refresh_failure();
  what += failure.empty() ? std::string("; no refresh has replaced them") : "; the last refresh failed: " + failure;
  return credentials_expired(what);
}

inline void live_credentials::keep_alive(std::shared_ptr<void> refresher) {
  std::lock_guard lock(mutex_);
  refresher_ = std::move(refresher);
}

}  // namespace s3co::aws
