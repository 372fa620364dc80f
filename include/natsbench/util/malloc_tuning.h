#pragma once
// Keeps freed tensor memory in the process for reuse (glibc malloc).
//
// A training or search step allocates and frees hundreds of multi-megabyte tensors. With
// glibc's defaults, many of them are mmap'ed and unmapped again, or trimmed from the heap, so
// the next step page-faults the same memory back in: on the 2-core CPU, `/usr/bin/time` on
// `natsbench bench search --algo setn --steps 4` counted 3.1 M minor faults and 10 s of its 35 s
// of CPU time (18 s wall) in the kernel. Serving every allocation below 32 MiB
// (glibc's largest mmap threshold) from the heap and never trimming it keeps the process at its
// peak size instead. Other C libraries: nothing to do.
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace natsbench {

inline void keep_freed_memory() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, -1);  // never give heap memory back
#endif
}

}  // namespace natsbench
