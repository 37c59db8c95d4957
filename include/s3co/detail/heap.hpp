// Heap settings for a program built on s3co; the program calls this first
// thing in main(). A library leaves its host's allocator alone, so nothing
// in s3co calls it.
//
// Why: glibc's malloc gives the top of the heap back to the kernel whenever
// more than its trim threshold is free there (128 KiB at first, later twice
// the largest mmapped block freed so far). A pipeline frees and allocates a
// few hundred KiB per page: the response body, the parsed page, a batch of
// URLs. Each time the heap shrinks and grows again, every 4 KiB touched
// again is a page fault. Fixed thresholds keep blocks up to 32 MiB on the
// heap and keep up to 64 MiB free there: sign_pdfs spent about a fifth of its
// CPU in those faults at 1M keys (BENCHMARKS.md). Memory stays bounded by
// what the program holds at its peak.
#pragma once

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace s3co::detail {

inline void keep_freed_heap_for_reuse() noexcept {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);  // glibc's largest allowed value
  mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
#endif
}

}  // namespace s3co::detail
