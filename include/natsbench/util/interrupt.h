#pragma once
// SIGTERM / SIGINT (what Slurm sends before a time limit or preemption, and Ctrl-C): the first
// one sets a flag that long work polls. Training checkpoints and exits with
// kInterruptedExitCode; writers of benchmark files stop between architectures and remove what
// they had written (Interrupted). A second SIGINT kills the process at once.
#include <string>

#include "natsbench/util/error.h"

namespace natsbench {

// EX_TEMPFAIL from <sysexits.h>: "try again later" — re-running the same command resumes.
inline constexpr int kInterruptedExitCode = 75;

void install_stop_handlers();
bool stop_requested();
int stop_signal();    // the signal received, 0 when none
void request_stop();  // as if a signal had arrived (tests)
void clear_stop();

// Thrown by throw_if_stop_requested(): the command ends with exit status 128 + signal.
class Interrupted : public Error {
 public:
  Interrupted(int sig, const std::string& what);
  int signal() const { return signal_; }

 private:
  int signal_;
};
// Throws Interrupted ("<what>: interrupted by SIGINT; nothing was written") after a signal.
void throw_if_stop_requested(const std::string& what);

}  // namespace natsbench
