#include "natsbench/util/interrupt.h"

#include <atomic>
#include <csignal>
#include <string>

namespace natsbench {

namespace {

std::atomic<int> g_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "used from a signal handler");

extern "C" void on_stop_signal(int sig) {
  g_signal.store(sig);
  // Restore the default action so that a second Ctrl-C or SIGTERM ends the process at once.
  std::signal(sig, SIG_DFL);
}

}  // namespace

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

bool stop_requested() {
  return g_signal.load() != 0;
}
int stop_signal() {
  return g_signal.load();
}
void throw_if_stop_requested(const std::string& what) {
  if (const int sig = stop_signal()) throw Interrupted(sig, what);
}

Interrupted::Interrupted(int sig, const std::string& what)
    : Error(what + ": interrupted by " +
            (sig == SIGINT    ? "SIGINT"
             : sig == SIGTERM ? "SIGTERM"
                              : "a signal") +
            "; nothing was written"),
      signal_(sig) {}

void request_stop() {
  g_signal.store(SIGTERM);
}
void clear_stop() {
  g_signal.store(0);
}

}  // namespace natsbench
