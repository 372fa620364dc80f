#pragma once
// SIGTERM / SIGINT (what Slurm sends before a time limit or preemption, and Ctrl-C): the first
// one sets a flag that the training loop polls after every step; it then checkpoints and the
// command exits with kInterruptedExitCode. A second SIGINT kills the process at once.
namespace natsbench::train {

// EX_TEMPFAIL from <sysexits.h>: "try again later" — re-running the same command resumes.
inline constexpr int kInterruptedExitCode = 75;

void install_stop_handlers();
bool stop_requested();
int stop_signal();    // the signal received, 0 when none
void request_stop();  // as if a signal had arrived (tests)
void clear_stop();

}  // namespace natsbench::train
