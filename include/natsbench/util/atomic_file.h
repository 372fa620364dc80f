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

// A directory filled under a temporary name beside `path` and renamed to `path` by commit()
// (which must not exist then, or be an empty directory). Destroyed without commit(), it removes
// the temporary directory and everything in it.
class TemporaryDirectory {
 public:
  explicit TemporaryDirectory(std::string path);
  ~TemporaryDirectory();
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
  const std::string& path() const { return temp_; }
  void commit();

 private:
  std::string path_, temp_;
  bool committed_ = false;
};

// Removes "<path>.tmp.XXXXXX" files and directories: what AtomicFileWriter or
// TemporaryDirectory left when their process was killed (SIGKILL, power loss). Call it only
// where no other process is writing the same target.
void remove_stale_temporaries(const std::string& path);

// Opens a regular file read-only and returns its descriptor (the caller closes it). A FIFO,
// device, socket or directory is refused without waiting on it (a FIFO would block open()
// until a writer came): throws Error naming the path and what it is instead.
int open_regular_file(const std::string& path);
// Reads a whole file; throws Error naming the path when it cannot be read.
std::string read_file(const std::string& path);
// Streams a file in chunks of 1 MiB to `consume` (checksums of large files); throws Error naming
// the path when it cannot be read.
void read_file_chunks(const std::string& path,
                      const std::function<void(std::string_view chunk)>& consume);

}  // namespace natsbench
