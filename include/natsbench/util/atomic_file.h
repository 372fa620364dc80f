#pragma once
#include <functional>
#include <string>
#include <string_view>

namespace natsbench {

// Writes `contents` to a temporary file beside `path`, flushes and fsyncs it, then renames it
// over `path`: readers see the old file or the new one, never a partial one.
// Throws Error naming the path on failure (the temporary file is removed).
void write_file_atomic(const std::string& path, std::string_view contents);

// The streaming form: write() appends to a temporary file beside `path`, commit() flushes,
// fsyncs and renames it over `path`. Destroyed without commit() (an exception on the way), it
// removes the temporary file, leaving `path` untouched. Errors name `path`.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(std::string path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;
  void write(std::string_view bytes);
  void commit();

 private:
  [[noreturn]] void fail();
  std::string path_, temp_;
  int fd_ = -1;
};

// Reads a whole file; throws Error naming the path when it cannot be read.
std::string read_file(const std::string& path);
// Streams a file in chunks of 1 MiB to `consume` (checksums of large files); throws Error naming
// the path when it cannot be read.
void read_file_chunks(const std::string& path,
                      const std::function<void(std::string_view chunk)>& consume);

}  // namespace natsbench
