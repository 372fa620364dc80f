#pragma once
// Claims on runs, so that workers sharing one output directory (also over NFS) never train the same
// run at once: a lock file created with O_CREAT | O_EXCL beside the run's record, holding the
// owner's host, pid and start time, refreshed (mtime) while the run trains. A lock whose owner is
// gone — same host and the pid no longer exists, or no refresh for `stale_after` seconds — is
// taken over.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace natsbench::sweep {

class RunLock {
 public:
  // Tries to claim `path`; nullopt when a live owner holds it.
  static std::optional<RunLock> claim(const std::string& path, double stale_after_seconds);
  RunLock(RunLock&& other) noexcept;
  RunLock& operator=(RunLock&&) = delete;
  RunLock(const RunLock&) = delete;
  ~RunLock();

  void refresh();  // marks the owner alive (updates the mtime)
  void release();  // removes the lock file
  bool took_over() const { return took_over_; }

  // What a lock file says; empty object when unreadable.
  static nlohmann::json read(const std::string& path);
  // Age in seconds since the last refresh; and whether its owner is known to be gone.
  static double age_seconds(const std::string& path);
  static bool owner_gone(const nlohmann::json& lock, double age, double stale_after_seconds);

 private:
  explicit RunLock(std::string path, bool took_over)
      : path_(std::move(path)), took_over_(took_over) {}
  std::string path_;
  bool took_over_ = false;
};

std::string host_name();

}  // namespace natsbench::sweep
