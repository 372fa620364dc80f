#include "natsbench/util/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "natsbench/util/error.h"

namespace natsbench {

namespace {
std::string errno_text() {
  return std::strerror(errno);
}
}  // namespace

AtomicFileWriter::AtomicFileWriter(std::string path) : path_(std::move(path)) {
  temp_ = path_ + ".tmp.XXXXXX";
  fd_ = ::mkstemp(temp_.data());
  if (fd_ < 0) throw Error("cannot write '" + path_ + "': " + errno_text());
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(temp_.c_str());
  }
}

void AtomicFileWriter::fail() {
  const auto reason = errno_text();
  ::close(fd_);
  fd_ = -1;
  ::unlink(temp_.c_str());
  throw Error("cannot write '" + path_ + "': " + reason);
}

void AtomicFileWriter::write(std::string_view bytes) {
  if (fd_ < 0) throw Error("cannot write '" + path_ + "': already committed or failed");
  const char* data = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ssize_t written = ::write(fd_, data, left);
    if (written < 0) {
      if (errno == EINTR) continue;
      fail();
    }
    data += written;
    left -= static_cast<std::size_t>(written);
  }
}

void AtomicFileWriter::commit() {
  if (fd_ < 0) throw Error("cannot write '" + path_ + "': already committed or failed");
  if (::fchmod(fd_, 0644) != 0 || ::fsync(fd_) != 0) fail();
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0 || ::rename(temp_.c_str(), path_.c_str()) != 0) {
    const auto reason = errno_text();
    ::unlink(temp_.c_str());
    throw Error("cannot write '" + path_ + "': " + reason);
  }
}

void write_file_atomic(const std::string& path, std::string_view contents) {
  AtomicFileWriter out(path);
  out.write(contents);
  out.commit();
}

TemporaryDirectory::TemporaryDirectory(std::string path) : path_(std::move(path)) {
  temp_ = path_ + ".tmp.XXXXXX";
  if (::mkdtemp(temp_.data()) == nullptr)
    throw Error("cannot write '" + path_ + "': " + errno_text());
}

TemporaryDirectory::~TemporaryDirectory() {
  if (committed_) return;
  std::error_code ec;
  std::filesystem::remove_all(temp_, ec);
}

void TemporaryDirectory::commit() {
  if (::chmod(temp_.c_str(), 0755) != 0 || ::rename(temp_.c_str(), path_.c_str()) != 0) {
    throw Error("cannot write '" + path_ + "': " + errno_text());
  }
  committed_ = true;
}

void remove_stale_temporaries(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const std::string prefix = target.filename().string() + ".tmp.";
  const fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() == prefix.size() + 6 && name.compare(0, prefix.size(), prefix) == 0) {
      std::error_code ignored;
      fs::remove_all(it->path(), ignored);
    }
  }
}

namespace {
const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}
}  // namespace

int open_regular_file(const std::string& path) {
  // O_NONBLOCK: open() of a FIFO returns at once instead of waiting for a writer.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw Error("cannot read '" + path + "': " + errno_text());
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const auto reason = errno_text();
    ::close(fd);
    throw Error("cannot read '" + path + "': " + reason);
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(fd);
    throw Error("cannot read '" + path + "': " + file_kind(info.st_mode) +
                ", expected a regular file");
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

std::string read_file(const std::string& path) {
  // One allocation of the final size and one read: no stream buffering, no regrowth copies.
  const int fd = open_regular_file(path);
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const auto reason = errno_text();
    ::close(fd);
    throw Error("cannot read '" + path + "': " + reason);
  }
  std::string contents(static_cast<std::size_t>(info.st_size), '\0');
  std::size_t done = 0;
  while (done < contents.size()) {
    const ssize_t got = ::read(fd, contents.data() + done, contents.size() - done);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      const auto reason = got < 0 ? errno_text() : std::string("file shrank while reading");
      ::close(fd);
      throw Error("cannot read '" + path + "': " + reason);
    }
    done += static_cast<std::size_t>(got);
  }
  ::close(fd);
  return contents;
}

void read_file_chunks(const std::string& path,
                      const std::function<void(std::string_view chunk)>& consume) {
  ::close(open_regular_file(path));  // names a missing or special file; never blocks
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read '" + path + "'");
  std::vector<char> chunk(std::size_t{1} << 20);
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got > 0) consume(std::string_view(chunk.data(), got));
  }
  if (in.bad()) throw Error("read error in '" + path + "'");
}

}  // namespace natsbench
