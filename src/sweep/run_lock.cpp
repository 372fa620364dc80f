#include "natsbench/sweep/run_lock.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "natsbench/util/error.h"

namespace natsbench::sweep {

namespace {

std::string iso_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// Creates `path` exclusively with the owner description; false when it exists.
bool create_exclusive(const std::string& path, const std::string& contents) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST) return false;
    throw Error(path + ": cannot create the lock file (" + std::strerror(errno) + ")");
  }
  const ssize_t written = ::write(fd, contents.data(), contents.size());
  ::fsync(fd);
  ::close(fd);
  if (written != static_cast<ssize_t>(contents.size())) {
    ::unlink(path.c_str());
    throw Error(path + ": cannot write the lock file");
  }
  return true;
}

}  // namespace

std::string host_name() {
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  return host;
}

nlohmann::json RunLock::read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const auto j = nlohmann::json::parse(text.str(), nullptr, false);
  return j.is_discarded() || !j.is_object() ? nlohmann::json::object() : j;
}

double RunLock::age_seconds(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return std::difftime(std::time(nullptr), st.st_mtime);
}

bool RunLock::owner_gone(const nlohmann::json& lock, double age, double stale_after_seconds) {
  if (age > stale_after_seconds) return true;
  // On this host a vanished pid settles it at once (a worker killed with SIGKILL).
  if (lock.value("host", "") == host_name() && lock.contains("pid")) {
    const auto pid = lock["pid"].get<long>();
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return true;
  }
  // A half-written lock (its creator died between create and write) ages out normally.
  return false;
}

std::optional<RunLock> RunLock::claim(const std::string& path, double stale_after_seconds) {
  const std::string owner =
      nlohmann::json{
          {"host", host_name()}, {"pid", static_cast<long>(::getpid())}, {"started", iso_now()}}
          .dump() +
      "\n";
  bool took_over = false;
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (create_exclusive(path, owner)) return RunLock(path, took_over);
    const nlohmann::json held = read(path);
    if (!owner_gone(held, age_seconds(path), stale_after_seconds)) return std::nullopt;
    // Take over by renaming the stale lock to a name only we use: of several workers that judge
    // it stale, exactly one rename succeeds. Re-read what we renamed; if it is not the lock we
    // judged (another worker took over in between), put it back and give up.
    const std::string grave = path + ".stale." + host_name() + "." + std::to_string(::getpid());
    if (::rename(path.c_str(), grave.c_str()) != 0) continue;  // someone else moved it first
    if (read(grave) != held) {
      if (::link(grave.c_str(), path.c_str()) == 0) ::unlink(grave.c_str());  // never clobbers
      return std::nullopt;
    }
    ::unlink(grave.c_str());
    took_over = true;
  }
  return std::nullopt;
}

RunLock::RunLock(RunLock&& other) noexcept
    : path_(std::move(other.path_)), took_over_(other.took_over_) {
  other.path_.clear();
}

RunLock::~RunLock() {
  release();
}

void RunLock::refresh() {
  if (!path_.empty()) ::utimensat(AT_FDCWD, path_.c_str(), nullptr, 0);
}

void RunLock::release() {
  if (path_.empty()) return;
  ::unlink(path_.c_str());
  path_.clear();
}

}  // namespace natsbench::sweep
