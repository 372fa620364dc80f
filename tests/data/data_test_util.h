#pragma once
// Temporary directories and the Python fixture writer for the data tests.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace natsbench::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& name) {
    path_ = std::filesystem::temp_directory_path() /
            ("natsbench-data-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string str() const { return path_.string(); }
  std::filesystem::path path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Runs tests/data/write_fixtures.py (/usr/bin/python3 + NumPy) into `dir`; false when Python or
// NumPy is unavailable (the caller WARNs and skips).
inline bool write_python_fixtures(const std::string& dir) {
  if (!std::filesystem::exists("/usr/bin/python3")) return false;
  const std::string cmd = std::string("/usr/bin/python3 '") + NATSBENCH_DATA_TEST_DIR +
                          "/write_fixtures.py' '" + dir + "'";
  return std::system(cmd.c_str()) == 0;
}

}  // namespace natsbench::testing
