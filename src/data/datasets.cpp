#include "natsbench/data/datasets.h"

#include <ATen/ATen.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <exception>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include "natsbench/io/pickle.h"
#include "natsbench/util/atomic_file.h"
#include "natsbench/util/error.h"
#include "natsbench/util/md5.h"

namespace natsbench::data {

namespace fs = std::filesystem;

namespace {

const pickle::Value* find_key(const pickle::Dict& dict, std::string_view key) {
  if (const auto* v = dict.find(key)) return v;  // Python 3 str keys
  return dict.find_bytes(key);                   // Python 2 byte-string keys
}

std::string keys_of(const pickle::Dict& dict) {
  std::string keys;
  for (const auto& [k, v] : dict.items) {
    if (!keys.empty()) keys += ", ";
    keys += pickle::repr(k, 40);
  }
  return keys;
}

std::string require_file(const fs::path& path, std::string_view what) {
  if (!fs::is_regular_file(path)) {
    throw Error("missing " + std::string(what) + " file '" + path.string() + "'");
  }
  return path.string();
}

ImageSet concat(const std::vector<ImageSet>& parts) {
  std::vector<at::Tensor> images, labels;
  for (const auto& p : parts) {
    images.push_back(p.images);
    labels.push_back(p.labels);
  }
  if (parts.size() == 1) return parts[0];
  return {at::cat(images), at::cat(labels)};
}

// A file mapped read-only: reading it into a buffer first would add a copy of every pixel and
// the page faults of a fresh buffer as big as the file. (A file truncated by another process
// while mapped raises SIGBUS; dataset files are not rewritten in place.)
class MappedFile {
 public:
  explicit MappedFile(const std::string& path) {
    const int fd = open_regular_file(path);
    struct stat info {};
    if (::fstat(fd, &info) == 0 && S_ISREG(info.st_mode) && info.st_size > 0) {
      size_ = static_cast<std::size_t>(info.st_size);
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
      if (p != MAP_FAILED) data_ = static_cast<const char*>(p);
    }
    ::close(fd);
    if (data_ == nullptr) {
      fallback_ = read_file(path);  // empty, special or unmappable: read_file says what is wrong
      size_ = fallback_.size();
    }
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile() {
    if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
  }
  std::string_view bytes() const {
    return data_ != nullptr ? std::string_view(data_, size_) : std::string_view(fallback_);
  }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
  std::string fallback_;
};

// Runs task(0..count-1) on up to 4 threads (the files are independent and parsing one is
// single-threaded). Every task runs; the error of the lowest index is rethrown, so the message
// is the one a sequential read would give.
void parallel_for(std::size_t count, const std::function<void(std::size_t)>& task) {
  const std::size_t workers =
      std::min<std::size_t>({count, 4, std::max(1U, std::thread::hardware_concurrency())});
  std::vector<std::exception_ptr> errors(count);
  if (workers <= 1) {
    for (std::size_t i = 0; i < count; ++i) {
      try {
        task(i);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  } else {
    std::atomic<std::size_t> next{0};
    const auto work = [&] {
      for (std::size_t i = next++; i < count; i = next++) {
        try {
          task(i);
        } catch (...) {
          errors[i] = std::current_exception();
        }
      }
    };
    std::vector<std::thread> threads;
    for (std::size_t t = 1; t < workers; ++t) threads.emplace_back(work);
    work();
    for (auto& t : threads) t.join();
  }
  for (const auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

// The place of each file's images in its group's tensors: a file's images start where those of
// the file before it end, known once that file's array header is read. Files are parsed on
// several threads, so claim() waits for the file before; every file must claim or release once,
// even when it fails, so that the files after it go on.
class Placement {
 public:
  // first[i]: file i is the first of its group.
  explicit Placement(std::vector<bool> first)
      : first_(std::move(first)), start_(first_.size(), -1), end_(first_.size(), -1) {}

  // Reserves n images for file i; returns the first. Called by file i's thread only.
  std::int64_t claim(std::size_t i, std::int64_t n) {
    std::unique_lock<std::mutex> lock(mutex_);
    // Files are handed out in order, so the one before is parsing or done: no deadlock.
    known_.wait(lock, [&] { return first_[i] || end_[i - 1] >= 0; });
    start_[i] = first_[i] ? 0 : end_[i - 1];
    end_[i] = start_[i] + n;
    lock.unlock();
    known_.notify_all();
    return start_[i];
  }
  // A file that failed or has no array: no images, so that the files after it go on.
  void release(std::size_t i) {
    if (end_[i] < 0) claim(i, 0);
  }
  // Images up to the end of file i, once all files are done.
  std::int64_t end(std::size_t i) const { return end_[i]; }

 private:
  std::vector<bool> first_;
  std::vector<std::int64_t> start_, end_;
  std::mutex mutex_;
  std::condition_variable known_;
};

bool is_image_array(const pickle::NumpyArray& array, std::int64_t row) {
  const pickle::Typestr t = pickle::parse_typestr(array.dtype);
  return t.kind == 'u' && t.itemsize == 1 && array.shape.size() == 2 && array.shape[1] == row &&
         !array.fortran_order;
}

// Where one file's images and labels go.
struct Target {
  Placement* placement;
  std::size_t file;
  const ImageSet* set;  // sized for the most images the group's files can hold
};

void parse_pickle_batch(const std::string& path, int side, std::string_view label_key,
                        std::int64_t min_label, std::int64_t max_label, const Target& target);

// Reads each group of files, in order, into one images and one labels tensor. The files are
// parsed on several threads, and the pickle reader hands each file's pixels straight to their
// place in the tensor: no copy in the pickle tree, no per-file tensor, no at::cat. The tensors
// are sized from the file sizes (a file holds at least its pixels) and shrunk at the end; their
// untouched tail never gets memory.
std::vector<ImageSet> read_pickle_groups(const std::vector<std::vector<std::string>>& groups,
                                         int side, std::string_view label_key,
                                         std::int64_t min_label, std::int64_t max_label) {
  const std::int64_t row = 3LL * side * side;
  std::vector<const std::string*> paths;
  std::vector<std::size_t> group_of;
  std::vector<bool> first;
  std::vector<ImageSet> sets(groups.size());
  for (std::size_t g = 0; g < groups.size(); ++g) {
    std::int64_t capacity = 0;
    for (const auto& path : groups[g]) {
      first.push_back(&path == &groups[g].front());
      paths.push_back(&path);
      group_of.push_back(g);
      std::error_code ec;
      const auto bytes = fs::file_size(path, ec);
      if (!ec) capacity += static_cast<std::int64_t>(bytes) / row;
    }
    sets[g].images = at::empty({capacity, 3, side, side}, at::kByte);
    sets[g].labels = at::empty({capacity}, at::kLong);
  }
  Placement placement(first);
  parallel_for(paths.size(), [&](std::size_t i) {
    try {
      parse_pickle_batch(*paths[i], side, label_key, min_label, max_label,
                         {&placement, i, &sets[group_of[i]]});
    } catch (...) {
      placement.release(i);
      throw;
    }
    placement.release(i);
  });
  for (std::size_t i = 0; i < paths.size(); ++i) {
    if (i + 1 < paths.size() && !first[i + 1]) continue;
    // Shrinking keeps the storage: no copy.
    sets[group_of[i]].images.resize_({placement.end(i), 3, side, side});
    sets[group_of[i]].labels.resize_({placement.end(i)});
  }
  return sets;
}

ImageSet keep_classes(const ImageSet& set, std::int64_t max_label) {
  // 1-based labels 1..max_label kept in order; target = label - 1 (docs/training.md §1.6).
  const at::Tensor keep = set.labels.le(max_label).nonzero().view({-1});
  return {set.images.index_select(0, keep).contiguous(), set.labels.index_select(0, keep) - 1};
}

void parse_pickle_batch(const std::string& path, int side, std::string_view label_key,
                        std::int64_t min_label, std::int64_t max_label, const Target& target) {
  const std::int64_t row = 3LL * side * side;
  std::int64_t offset = -1, placed = 0;  // where the pixels went, and how many images
  const auto place = [&](std::int64_t n, std::string_view pixels) {
    offset = target.placement->claim(target.file, n);
    placed = n;
    if (offset + n > target.set->size()) {
      throw Error("'" + path + "': " + std::to_string(n) +
                  " images do not fit in the file's size (changed while reading?)");
    }
    std::memcpy(target.set->images.data_ptr<std::uint8_t>() + offset * row, pixels.data(),
                pixels.size());
  };
  pickle::LoadOptions options;
  options.on_array_data = [&](const pickle::NumpyArray& array, std::string_view bytes) {
    if (offset >= 0 || !is_image_array(array, row)) return false;
    place(array.shape[0], bytes);
    return true;
  };
  const MappedFile file(path);
  pickle::Value root;
  try {
    root = pickle::load(file.bytes(), options);
  } catch (const Error& e) {
    throw Error("'" + path + "': not a readable pickle (truncated or corrupt?): " + e.what());
  }
  if (!root.is(pickle::Type::Dict)) {
    throw Error("'" + path + "': expected a pickled dict, got " +
                std::string(pickle::type_name(root.type())));
  }
  const pickle::Dict& dict = root.as_dict();
  const pickle::Value* data = find_key(dict, "data");
  const pickle::Value* labels = find_key(dict, std::string(label_key));
  if (labels == nullptr && label_key == "labels") labels = find_key(dict, "fine_labels");
  if (data == nullptr || labels == nullptr) {
    throw Error("'" + path + "': expected keys 'data' and '" + std::string(label_key) +
                "', found " + keys_of(dict));
  }
  if (!data->is(pickle::Type::NumpyArray)) {
    throw Error("'" + path + "': 'data' is a " + std::string(pickle::type_name(data->type())) +
                ", expected a uint8 numpy array");
  }
  const pickle::NumpyArray& array = data->as_numpy_array();
  if (pickle::parse_typestr(array.dtype).kind != 'u' ||
      pickle::parse_typestr(array.dtype).itemsize != 1 || array.shape.size() != 2 ||
      array.shape[1] != row || array.fortran_order) {
    std::string shape;
    for (auto d : array.shape) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
    throw Error("'" + path + "': 'data' has dtype " + array.dtype + " and shape (" + shape +
                "), expected uint8 of shape (N, " + std::to_string(row) + ") in C order");
  }
  const std::int64_t n = array.shape[0];
  if (offset < 0) {
    place(n, array.data);
  } else if (!array.data.empty() || n != placed) {
    // The reader gave away the pixels of another array of the same shape before this one.
    throw Error("'" + path + "': more than one (N, " + std::to_string(row) +
                ") uint8 array; expected only 'data'");
  }
  std::vector<std::int64_t> label_values;
  if (labels->is(pickle::Type::List) || labels->is(pickle::Type::Tuple)) {
    for (const auto& v : labels->as_sequence()) {
      if (!v.is(pickle::Type::Int)) {
        throw Error("'" + path + "': label " + std::to_string(label_values.size()) + " is a " +
                    std::string(pickle::type_name(v.type())) + ", expected an int");
      }
      label_values.push_back(v.as_int());
    }
  } else {
    throw Error("'" + path + "': labels are a " + std::string(pickle::type_name(labels->type())) +
                ", expected a list of ints");
  }
  if (static_cast<std::int64_t>(label_values.size()) != n) {
    throw Error("'" + path + "': " + std::to_string(label_values.size()) + " labels for " +
                std::to_string(n) + " images");
  }
  for (std::size_t i = 0; i < label_values.size(); ++i) {
    if (label_values[i] < min_label || label_values[i] > max_label) {
      throw Error("'" + path + "': label " + std::to_string(i) + " = " +
                  std::to_string(label_values[i]) + ", expected " + std::to_string(min_label) +
                  ".." + std::to_string(max_label));
    }
  }
  std::copy(label_values.begin(), label_values.end(),
            target.set->labels.data_ptr<std::int64_t>() + offset);
}

fs::path imagenet_dir(const std::string& root) {
  const fs::path nested = fs::path(root) / "ImageNet16";
  if (fs::is_directory(nested)) return nested;
  if (fs::exists(fs::path(root) / "val_data")) return root;
  return nested;
}

}  // namespace

ImageSet read_pickle_batch(const std::string& path, int side, std::string_view label_key,
                           std::int64_t min_label, std::int64_t max_label) {
  return read_pickle_groups({{path}}, side, label_key, min_label, max_label)[0];
}

ImageSet read_cifar_binary(const std::string& path, bool cifar100) {
  const std::string bytes = read_file(path);
  const std::int64_t record = cifar100 ? 3074 : 3073;
  const auto size = static_cast<std::int64_t>(bytes.size());
  if (size == 0 || size % record != 0) {
    throw Error("'" + path + "': " + std::to_string(size) + " bytes, expected a multiple of " +
                std::to_string(record) + " (records of label byte(s) + 3072 pixels; truncated?)");
  }
  const std::int64_t n = size / record;
  at::Tensor raw = at::from_blob(const_cast<char*>(bytes.data()), {n, record}, at::kByte);
  ImageSet set;
  set.images = raw.slice(1, record - 3072).reshape({n, 3, 32, 32}).clone();
  set.labels = raw.select(1, cifar100 ? 1 : 0).to(at::kLong);
  const std::int64_t classes = cifar100 ? 100 : 10;
  const at::Tensor bad = set.labels.ge(classes).nonzero();
  if (bad.size(0) > 0) {
    const std::int64_t i = bad[0][0].item<std::int64_t>();
    throw Error("'" + path + "': label of record " + std::to_string(i) + " = " +
                std::to_string(set.labels[i].item<std::int64_t>()) + ", expected 0.." +
                std::to_string(classes - 1));
  }
  return set;
}

std::vector<ChecksumStatus> verify_checksums(Source source, const std::string& root) {
  const SourceInfo& info = source_info(source);
  const fs::path dir =
      source == Source::ImageNet16 ? imagenet_dir(root) : fs::path(root) / info.python_folder;
  std::vector<ChecksumStatus> out;
  for (const auto& file : info.official_files) {
    const fs::path path = dir / file.name;
    if (!fs::is_regular_file(path)) continue;
    out.push_back({path.string(), std::string(file.md5), md5_file_hex(path.string())});
  }
  return out;
}

SourceData read_source(Source source, const std::string& root, const ReadOptions& options) {
  if (!fs::is_directory(root)) {
    throw Error("dataset root '" + root +
                "' is not a directory (expected the reference's "
                "$TORCH_HOME/cifar.python)");
  }
  SourceData out;
  out.source = source;
  const SourceInfo& info = source_info(source);
  if (source == Source::ImageNet16) {
    // Its own layout: labels 1..1000 of which the first `imagenet_classes` are kept, and ROOT may
    // be the ImageNet16 folder itself.
    const fs::path dir = imagenet_dir(root);
    if (!fs::is_directory(dir)) {
      throw Error("dataset root '" + root + "': no ImageNet16 folder '" + dir.string() +
                  "' (expected train_data_batch_1..10 and val_data in it)");
    }
    const int classes = options.imagenet_classes;
    const auto read = [&](std::string_view name) {
      const auto path = require_file(dir / name, info.title);
      return keep_classes(
          read_pickle_batch(path, info.side, info.label_key, 1, info.classes_in_files), classes);
    };
    std::vector<ImageSet> parts;
    for (const auto name : info.python_train_files) parts.push_back(read(name));
    out.train = concat(parts);
    out.test = read(info.python_test_files.at(0));
    out.layout = "python";
    out.num_classes = classes;
  } else {
    const fs::path py = fs::path(root) / info.python_folder;
    const fs::path bin = fs::path(root) / info.binary_folder;
    const std::string what(info.title);
    const auto paths = [&](const fs::path& dir, const std::vector<std::string_view>& names) {
      std::vector<std::string> out;
      for (const auto name : names) out.push_back(require_file(dir / name, what));
      return out;
    };
    const bool c100 = source == Source::Cifar100;
    out.num_classes = info.classes_in_files;
    if (fs::is_directory(py) || !fs::is_directory(bin)) {
      if (!fs::is_directory(py)) {
        throw Error("dataset root '" + root + "': found neither '" + py.string() + "' nor '" +
                    bin.string() + "'");
      }
      out.layout = "python";
      // Read together, so that the test file keeps a thread busy while the others parse.
      auto sets = read_pickle_groups(
          {paths(py, info.python_train_files), paths(py, info.python_test_files)}, info.side,
          info.label_key, 0, info.classes_in_files - 1);
      out.train = std::move(sets[0]);
      out.test = std::move(sets[1]);
    } else {
      out.layout = "binary";
      const auto read_all = [&](const std::vector<std::string_view>& names) {
        std::vector<ImageSet> parts;
        for (const auto& path : paths(bin, names)) parts.push_back(read_cifar_binary(path, c100));
        return concat(parts);
      };
      out.train = read_all(info.binary_train_files);
      out.test = read_all(info.binary_test_files);
    }
  }
  if (options.verify) {
    if (out.layout == "binary") {
      out.warnings.push_back("no published md5 for the CIFAR binary layout: not verified");
    } else {
      out.checksums = verify_checksums(source, root);
      for (const auto& c : out.checksums) {
        if (!c.ok()) {
          out.warnings.push_back("md5 of '" + c.file + "' is " + c.actual + ", expected " +
                                 c.expected + " (not the official file)");
        }
      }
    }
  }
  return out;
}

}  // namespace natsbench::data
