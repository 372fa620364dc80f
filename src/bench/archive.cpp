#include "natsbench/bench/archive.h"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>

#include <unistd.h>

#include "natsbench/bench/errors.h"
#include "natsbench/io/bz2.h"
#include "natsbench/io/pickle.h"
#include "natsbench/util/atomic_file.h"
#include "natsbench/util/interrupt.h"
#include "schema.h"

namespace natsbench::bench {

namespace {

using pickle::Type;
using pickle::Value;

Value load_file(const std::string& path, const pickle::LoadOptions& options = {}) {
  const std::string compressed = read_file(path);
  try {
    const std::string payload = bz2::decompress(compressed);
    return pickle::load(payload, options);
  } catch (const CorruptFileError&) {
    throw;
  } catch (const Error& error) {
    throw CorruptFileError("'" + path + "': " + error.what());
  }
}

// Decompresses a file on a background thread (bz2::decompress_file: sequential or parallel
// block decoding, output in order) and hands the output to a pickle::ReadFn, keeping at most
// about kMaxQueued decompressed bytes in flight: the payload never exists whole.
class DecompressPipe {
 public:
  explicit DecompressPipe(const std::string& path) {
    thread_ = std::thread([this, path] {
      try {
        bz2::decompress_file(path, [this](std::string_view chunk) {
          std::unique_lock<std::mutex> lock(mutex_);
          changed_.wait(lock, [&] { return cancel_ || queued_ < kMaxQueued; });
          if (cancel_) throw Cancelled{};
          chunks_.emplace_back(chunk);
          queued_ += chunk.size();
          changed_.notify_all();
        });
      } catch (const Cancelled&) {
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        error_ = std::current_exception();
      }
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
      changed_.notify_all();
    });
  }
  ~DecompressPipe() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      cancel_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }
  DecompressPipe(const DecompressPipe&) = delete;
  DecompressPipe& operator=(const DecompressPipe&) = delete;

  // Copies up to `cap` bytes; 0 at the end; rethrows a decompression error.
  std::size_t read(char* buf, std::size_t cap) {
    while (offset_ == current_.size()) {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] { return !chunks_.empty() || done_; });
      if (chunks_.empty()) {
        if (error_) std::rethrow_exception(error_);
        return 0;
      }
      current_ = std::move(chunks_.front());
      chunks_.pop_front();
      queued_ -= current_.size();
      offset_ = 0;
      changed_.notify_all();
    }
    const std::size_t n = std::min(cap, current_.size() - offset_);
    std::memcpy(buf, current_.data() + offset_, n);
    offset_ += n;
    return n;
  }

 private:
  struct Cancelled {};
  // Small: the block decoder already keeps blocks decoded ahead.
  static constexpr std::size_t kMaxQueued = std::size_t{1} << 20;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> chunks_;
  std::size_t queued_ = 0;
  bool done_ = false;
  bool cancel_ = false;
  std::exception_ptr error_;
  std::string current_;
  std::size_t offset_ = 0;
  std::thread thread_;
};

// As load_file, but streams: decompression and unpickling run chunk by chunk (see
// pickle::load_stream), so neither the compressed nor the decompressed file is held whole.
Value load_file_streaming(const std::string& path, const pickle::LoadOptions& options) {
  ::close(open_regular_file(path));  // same error as read_file for a missing or special file
  try {
    std::unique_ptr<DecompressPipe> pipe;
    Value value = pickle::load_stream(
        [&]() -> pickle::ReadFn {
          pipe.reset();  // a second open (memo fallback) restarts from the beginning
          pipe = std::make_unique<DecompressPipe>(path);
          return [p = pipe.get()](char* buf, std::size_t cap) { return p->read(buf, cap); };
        },
        options);
    // Decompress the rest, so that corrupt data after the pickle fails as load_file does.
    std::vector<char> rest(std::size_t{1} << 16);
    while (pipe->read(rest.data(), rest.size()) != 0) {
    }
    return value;
  } catch (const CorruptFileError&) {
    throw;
  } catch (const Error& error) {
    // bz2::decompress_file names the path itself; say it once, as load_file does.
    std::string what = error.what();
    const std::string named = "bz2: '" + path + "': ";
    if (what.compare(0, named.size(), named) == 0) what = "bz2: " + what.substr(named.size());
    throw CorruptFileError("'" + path + "': " + what);
  }
}

void save_file(const std::string& path, const Value& value) {
  write_file_atomic(path, bz2::compress(pickle::dump(value), 9));
}

std::vector<std::string> meta_archs_of(const pickle::Dict& dict, const std::string& where) {
  const Value* archs = dict.find(std::string_view("meta_archs"));
  if (archs == nullptr || !archs->is(Type::List)) {
    throw CorruptFileError(where + ": no 'meta_archs' list");
  }
  std::vector<std::string> out;
  out.reserve(archs->as_list().size());
  for (const auto& item : archs->as_list()) {
    if (!item.is(Type::Str)) throw CorruptFileError(where + ": meta_archs holds a non-string");
    out.emplace_back(item.as_str());
  }
  return out;
}

Value meta_value(const std::vector<std::string>& meta_archs, Value arch2infos, Value evaluated) {
  std::vector<Value> archs;
  archs.reserve(meta_archs.size());
  for (const auto& arch : meta_archs) archs.push_back(Value::str(arch));
  pickle::Dict dict;
  dict.add("meta_archs", Value::list(std::move(archs)));
  dict.add("total_archs", Value::integer(static_cast<std::int64_t>(meta_archs.size())));
  dict.add("arch2infos", std::move(arch2infos));
  dict.add("evaluated_indexes", std::move(evaluated));
  return Value::dict(std::move(dict));
}

}  // namespace

std::string arch_file_name(int index) {
  char name[32];
  std::snprintf(name, sizeof name, "%06d.pickle.pbz2", index);
  return name;
}

std::vector<std::string> read_meta_file(const std::string& path) {
  const Value value = load_file(path);
  if (!value.is(Type::Dict)) throw CorruptFileError("'" + path + "': expected a dict");
  return meta_archs_of(value.as_dict(), "'" + path + "'");
}

ArchInfo read_arch_file(const std::string& path) {
  const std::string where = "'" + path + "'";
  return arch_info_from_value(load_file(path, compact_load_options(where)), where);
}

BenchmarkContents read_benchmark_file(const std::string& path) {
  const std::string where = "'" + path + "'";
  const Value value = load_file_streaming(path, compact_load_options(where));
  if (!value.is(Type::Dict)) throw CorruptFileError(where + ": expected a dict");
  const auto& dict = value.as_dict();
  BenchmarkContents contents;
  contents.meta_archs = meta_archs_of(dict, where);
  for (const char* key : {"arch2infos", "evaluated_indexes"}) {
    if (dict.find(std::string_view(key)) == nullptr) {
      throw CorruptFileError(where + ": no '" + std::string(key) +
                             "' (a meta file? use fast mode "
                             "with its directory)");
    }
  }
  const Value& infos = *dict.find(std::string_view("arch2infos"));
  if (!infos.is(Type::Dict)) {
    throw CorruptFileError(where +
                           ": arch2infos is not a dict (a meta file? use fast mode with "
                           "its directory)");
  }
  for (const auto& [key, item] : infos.as_dict().items) {
    if (!key.is(Type::Int)) throw CorruptFileError(where + ": arch2infos key is not an int");
    const auto index = key.as_int();
    if (index < 0 || index >= static_cast<std::int64_t>(contents.meta_archs.size())) {
      throw CorruptFileError(where + ": arch2infos index " + std::to_string(index) +
                             " is outside the meta list");
    }
    contents.arch2infos[static_cast<int>(index)] =
        arch_info_from_value(item, where + " architecture " + std::to_string(index));
  }
  return contents;
}

void write_meta_file(const std::string& path, const std::vector<std::string>& meta_archs) {
  save_file(path, meta_value(meta_archs, Value::none(), Value::set()));
}

void write_arch_file(const std::string& path, const ArchInfo& info) {
  save_file(path, to_value(info));
}

void write_benchmark_file(const std::string& path, const BenchmarkContents& contents) {
  // Streamed: the bytes of pickle::dump(meta_value(...)) without building the tree, which for
  // the whole topology space would take about 17 GB. One architecture's value exists at a time.
  remove_stale_temporaries(path);
  AtomicFileWriter file(path);
  bz2::Compressor packer(9, bz2::kAutoThreads);
  const bz2::Sink to_file = [&](std::string_view bytes) { file.write(bytes); };
  pickle::StreamDumper out([&](std::string_view bytes) { packer.feed(bytes, to_file); });
  constexpr std::size_t kBatch = 1000;  // items per SETITEMS, as CPython (and pickle::dump)
  std::vector<Value> archs;
  archs.reserve(contents.meta_archs.size());
  for (const auto& arch : contents.meta_archs) archs.push_back(Value::str(arch));
  out.empty_dict();
  out.mark();
  out.value(Value::str("meta_archs"));
  out.value(Value::list(std::move(archs)));
  out.value(Value::str("total_archs"));
  out.value(Value::integer(static_cast<std::int64_t>(contents.meta_archs.size())));
  out.value(Value::str("arch2infos"));
  out.empty_dict();
  std::size_t in_batch = 0;
  std::vector<Value> evaluated;
  for (const auto& [index, info] : contents.arch2infos) {
    throw_if_stop_requested("writing '" + path + "'");
    if (in_batch == 0) out.mark();
    out.value(Value::integer(index));
    out.value(to_value(info));
    evaluated.push_back(Value::integer(index));
    if (++in_batch == kBatch) {
      out.set_items();
      in_batch = 0;
    }
  }
  if (in_batch > 0) out.set_items();
  out.value(Value::str("evaluated_indexes"));
  out.value(Value::set(std::move(evaluated)));
  out.set_items();
  out.finish();
  packer.finish(to_file);
  file.commit();
}

void write_archive_dir(const std::string& requested, const BenchmarkContents& contents) {
  namespace fs = std::filesystem;
  // "out/" names the directory "out": its temporary sibling is "out.tmp.XXXXXX".
  std::string dir = requested;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  std::error_code ec;
  const auto status = fs::status(dir, ec);
  if (fs::exists(status)) {
    if (!fs::is_directory(status)) {
      throw ArgError("'" + dir +
                     "' exists and is not a directory: expected a new archive directory");
    }
    if (!fs::is_empty(dir, ec)) {
      throw ArgError("'" + dir +
                     "' is not empty: an archive directory is written whole; give a new or empty "
                     "directory");
    }
  }
  remove_stale_temporaries(dir);
  TemporaryDirectory temp(dir);
  write_meta_file((fs::path(temp.path()) / "meta.pickle.pbz2").string(), contents.meta_archs);
  for (const auto& [index, info] : contents.arch2infos) {
    throw_if_stop_requested("writing '" + dir + "'");
    write_arch_file((fs::path(temp.path()) / arch_file_name(index)).string(), info);
  }
  temp.commit();
}

}  // namespace natsbench::bench
