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
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error("cannot read '" + path + "': " + std::strerror(errno));
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
  // 1-based labels 1..max_label kept in order; target = label - 1 (spec §1.6).
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

Source parse_source(std::string_view name) {
  if (name == "cifar10" || name == "cifar10-valid") return Source::Cifar10;
  if (name == "cifar100") return Source::Cifar100;
  if (name == "imagenet16" || name == "ImageNet16" || name == "ImageNet16-120") {
    return Source::ImageNet16;
  }
  throw ArgError("dataset '" + std::string(name) + "': expected cifar10, cifar100 or imagenet16");
}

std::string_view source_name(Source source) {
  switch (source) {
    case Source::Cifar10:
      return "cifar10";
    case Source::Cifar100:
      return "cifar100";
    case Source::ImageNet16:
      return "imagenet16";
  }
  return "?";
}

std::string_view python_folder(Source source) {
  switch (source) {
    case Source::Cifar10:
      return "cifar-10-batches-py";
    case Source::Cifar100:
      return "cifar-100-python";
    case Source::ImageNet16:
      return "ImageNet16";
  }
  return "?";
}

const std::vector<OfficialFile>& official_files(Source source) {
  static const std::vector<OfficialFile> cifar10 = {
      {"data_batch_1", "c99cafc152244af753f735de768cd75f"},
      {"data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"},
      {"data_batch_3", "54ebc095f3ab1f0389bbae665268c751"},
      {"data_batch_4", "634d18415352ddfa80567beed471001a"},
      {"data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"},
      {"test_batch", "40351d587109b95175f43aff81a1287e"},
      {"batches.meta", "5ff9c542aee3614f3951f8cda6e48888"},
  };
  static const std::vector<OfficialFile> cifar100 = {
      {"train", "16019d7e3df5f24257cddd939b257f8d"},
      {"test", "f0ef6b0ae62326f3e7ffdfab6717acfc"},
      {"meta", "7973b15100ade9c7d40fb424638fde48"},
  };
  static const std::vector<OfficialFile> imagenet = {
      {"train_data_batch_1", "27846dcaa50de8e21a7d1a35f30f0e91"},
      {"train_data_batch_2", "c7254a054e0e795c69120a5727050e3f"},
      {"train_data_batch_3", "4333d3df2e5ffb114b05d2ffc19b1e87"},
      {"train_data_batch_4", "1620cdf193304f4a92677b695d70d10f"},
      {"train_data_batch_5", "348b3c2fdbb3940c4e9e834affd3b18d"},
      {"train_data_batch_6", "6e765307c242a1b3d7d5ef9139b48945"},
      {"train_data_batch_7", "564926d8cbf8fc4818ba23d2faac7564"},
      {"train_data_batch_8", "f4755871f718ccb653440b9dd0ebac66"},
      {"train_data_batch_9", "bb6dd660c38c58552125b1a92f86b5d4"},
      {"train_data_batch_10", "8f03f34ac4b42271a294f91bf480f29b"},
      {"val_data", "3410e3017fdaefba8d5073aaa65e4bd6"},
  };
  switch (source) {
    case Source::Cifar10:
      return cifar10;
    case Source::Cifar100:
      return cifar100;
    case Source::ImageNet16:
      return imagenet;
  }
  return cifar10;
}

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
  const fs::path dir =
      source == Source::ImageNet16 ? imagenet_dir(root) : fs::path(root) / python_folder(source);
  std::vector<ChecksumStatus> out;
  for (const auto& file : official_files(source)) {
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
  if (source == Source::ImageNet16) {
    const fs::path dir = imagenet_dir(root);
    if (!fs::is_directory(dir)) {
      throw Error("dataset root '" + root + "': no ImageNet16 folder '" + dir.string() +
                  "' (expected train_data_batch_1..10 and val_data in it)");
    }
    const int classes = options.imagenet_classes;
    std::vector<ImageSet> parts;
    for (int k = 1; k <= 10; ++k) {
      const auto path = require_file(dir / ("train_data_batch_" + std::to_string(k)), "ImageNet16");
      parts.push_back(keep_classes(read_pickle_batch(path, 16, "labels", 1, 1000), classes));
    }
    out.train = concat(parts);
    out.test = keep_classes(
        read_pickle_batch(require_file(dir / "val_data", "ImageNet16"), 16, "labels", 1, 1000),
        classes);
    out.layout = "python";
    out.num_classes = classes;
  } else {
    const bool c100 = source == Source::Cifar100;
    const fs::path py = fs::path(root) / python_folder(source);
    const fs::path bin = fs::path(root) / (c100 ? "cifar-100-binary" : "cifar-10-batches-bin");
    const std::int64_t max_label = c100 ? 99 : 9;
    const std::string key = c100 ? "fine_labels" : "labels";
    out.num_classes = c100 ? 100 : 10;
    if (fs::is_directory(py) || !fs::is_directory(bin)) {
      if (!fs::is_directory(py)) {
        throw Error("dataset root '" + root + "': found neither '" + py.string() + "' nor '" +
                    bin.string() + "'");
      }
      out.layout = "python";
      std::vector<std::string> train, test;
      if (c100) {
        train.push_back(require_file(py / "train", "CIFAR-100"));
        test.push_back(require_file(py / "test", "CIFAR-100"));
      } else {
        for (int k = 1; k <= 5; ++k) {
          train.push_back(require_file(py / ("data_batch_" + std::to_string(k)), "CIFAR-10"));
        }
        test.push_back(require_file(py / "test_batch", "CIFAR-10"));
      }
      // Read together, so that the test file keeps a thread busy while the others parse.
      auto sets = read_pickle_groups({train, test}, 32, key, 0, max_label);
      out.train = std::move(sets[0]);
      out.test = std::move(sets[1]);
    } else {
      out.layout = "binary";
      if (c100) {
        out.train = read_cifar_binary(require_file(bin / "train.bin", "CIFAR-100"), true);
        out.test = read_cifar_binary(require_file(bin / "test.bin", "CIFAR-100"), true);
      } else {
        std::vector<ImageSet> parts;
        for (int k = 1; k <= 5; ++k) {
          parts.push_back(read_cifar_binary(
              require_file(bin / ("data_batch_" + std::to_string(k) + ".bin"), "CIFAR-10"), false));
        }
        out.train = concat(parts);
        out.test = read_cifar_binary(require_file(bin / "test_batch.bin", "CIFAR-10"), false);
      }
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
