// An LD_PRELOAD library that moves a program's wall clock: CLOCK_REALTIME
// (and its coarse variant), gettimeofday() and time() are shifted by
// S3CO_CLOCK_SHIFT_SECONDS (may be negative); monotonic clocks are left
// alone, so timeouts still measure real time. The clock-skew tests run
// sign_pdfs under it, as on a machine whose clock is off. With
// S3CO_CLOCK_FIXED_AT (Unix seconds) the wall clock stands still at that
// second instead, so that runs at different times sign identical URLs.
#include <dlfcn.h>
#include <sys/time.h>
#include <time.h>

#include <cstdlib>

namespace {

long shift_seconds() {
  static const long shift = [] {
    const char* value = std::getenv("S3CO_CLOCK_SHIFT_SECONDS");
    return value ? std::strtol(value, nullptr, 10) : 0L;
  }();
  return shift;
}

// The fixed second, or 0 for none.
long fixed_at() {
  static const long fixed = [] {
    const char* value = std::getenv("S3CO_CLOCK_FIXED_AT");
    return value ? std::strtol(value, nullptr, 10) : 0L;
  }();
  return fixed;
}

// `real` Unix seconds as the program is to see them.
long seen_seconds(long real) { return fixed_at() != 0 ? fixed_at() : real + shift_seconds(); }

template <typename Function>
Function next_definition(const char* name) {
  return reinterpret_cast<Function>(::dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" int clock_gettime(clockid_t clock, struct timespec* time_spec) noexcept {
  static const auto real = next_definition<int (*)(clockid_t, struct timespec*)>("clock_gettime");
  const int status = real(clock, time_spec);
  if (status == 0 && (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE)) {
    time_spec->tv_sec = seen_seconds(time_spec->tv_sec);
    if (fixed_at() != 0) time_spec->tv_nsec = 0;
  }
  return status;
}

extern "C" int gettimeofday(struct timeval* time_value, void* zone) noexcept {
  static const auto real = next_definition<int (*)(struct timeval*, void*)>("gettimeofday");
  const int status = real(time_value, zone);
  if (status == 0) {  // glibc declares it non-null
    time_value->tv_sec = seen_seconds(time_value->tv_sec);
    if (fixed_at() != 0) time_value->tv_usec = 0;
  }
  return status;
}

extern "C" time_t time(time_t* out) noexcept {
  static const auto real = next_definition<time_t (*)(time_t*)>("time");
  const time_t now = seen_seconds(real(nullptr));
  if (out != nullptr) *out = now;
  return now;
}
