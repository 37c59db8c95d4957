// A fuzz target's invariant: when it breaks, abort so that libFuzzer (or the
// regression replay under ctest) reports the input.
#pragma once

#include <cstdio>
#include <cstdlib>

inline void fuzz_check(bool holds, const char* what) {
  if (!holds) {
    std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
    std::abort();
  }
}
