#include <ATen/Parallel.h>
#include <sched.h>

#include <cstdlib>
#include <string>

#include "cli_common.h"

namespace natsbench::cli {

// LibTorch's own default can be a single thread (an OpenMP runtime that sees one CPU); use the
// CPUs this process may run on unless --threads or OMP_NUM_THREADS says otherwise.
void check_threads(int requested) {
  // More threads than this only queue on the same cores (and 100000 exhausted the process).
  constexpr int kMaxThreads = 1024;
  if (requested < 0 || requested > kMaxThreads) {
    throw ArgError("--threads " + std::to_string(requested) + ": expected 1 to " +
                   std::to_string(kMaxThreads) + " (0 or absent: every CPU this process may use)");
  }
}

void set_threads(int requested) {
  check_threads(requested);
  if (requested > 0) {
    at::set_num_threads(requested);
    return;
  }
  const char* omp = std::getenv("OMP_NUM_THREADS");
  if (omp != nullptr && *omp != '\0') return;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
    at::set_num_threads(CPU_COUNT(&set));
}

}  // namespace natsbench::cli
