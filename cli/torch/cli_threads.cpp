#include <ATen/Parallel.h>
#include <sched.h>

#include <cstdlib>

#include "cli_common.h"

namespace natsbench::cli {

// LibTorch's own default can be a single thread (an OpenMP runtime that sees one CPU); use the
// CPUs this process may run on unless --threads or OMP_NUM_THREADS says otherwise.
void set_threads(int requested) {
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
