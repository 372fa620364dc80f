#include "natsbench/data/fake_data.h"

#include <algorithm>
#include <filesystem>
#include <random>

#include "natsbench/data/splits.h"
#include "natsbench/io/pickle.h"
#include "natsbench/util/atomic_file.h"
#include "natsbench/util/error.h"

namespace natsbench::data {

namespace fs = std::filesystem;
namespace pk = pickle;

namespace {

struct Images {
  std::string pixels;                // N * 3 * side * side bytes, planar per image
  std::vector<std::int64_t> labels;  // as stored in the file
};

// Class k: base colour, stripes of period 2 + k % 7 along x (k even) or y (k odd), plus noise.
Images generate(std::int64_t n, int side, int classes, int label_offset, std::mt19937_64& rng,
                const std::vector<std::int64_t>* forced_labels = nullptr) {
  Images out;
  out.pixels.resize(static_cast<std::size_t>(n) * 3 * side * side);
  std::uniform_int_distribution<int> noise(-24, 24);
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t label = forced_labels
                                   ? (*forced_labels)[i]
                                   : label_offset + static_cast<std::int64_t>(rng() % classes);
    out.labels.push_back(label);
    const std::uint64_t k = static_cast<std::uint64_t>(label);
    const int period = 2 + static_cast<int>(k % 7);
    const bool along_x = k % 2 == 0;
    for (int c = 0; c < 3; ++c) {
      const int base = 48 + static_cast<int>((k * 37 + c * 91) % 160);
      for (int y = 0; y < side; ++y) {
        for (int x = 0; x < side; ++x) {
          const int coord = along_x ? x : y;
          const int stripe = (coord / period) % 2 ? 40 : -40;
          const int v = std::clamp(base + stripe + noise(rng), 0, 255);
          out.pixels[((i * 3 + c) * side + y) * side + x] = static_cast<char>(v);
        }
      }
    }
  }
  return out;
}

// The official CIFAR files are Python-2 pickles: protocol 2, byte-string keys (docs/training.md
// §1.4).
std::string python2_dump(const pk::Value& value) {
  pk::DumpOptions options;
  options.python2 = true;
  return pk::dump(value, options);
}

pk::Value key(const std::string& name, bool python2) {
  return python2 ? pk::Value::bytes(name) : pk::Value::str(name);
}

pk::Value int_list(const std::vector<std::int64_t>& v) {
  std::vector<pk::Value> items;
  items.reserve(v.size());
  for (auto x : v) items.push_back(pk::Value::integer(x));
  return pk::Value::list(std::move(items));
}

pk::Value uint8_array(std::string data, std::int64_t n, std::int64_t row) {
  pk::NumpyArray a;
  a.dtype = "|u1";
  a.shape = {n, row};
  a.data = std::move(data);
  return pk::Value::numpy_array(std::move(a));
}

// One CIFAR batch dict as the official Python-2 files hold it: byte-string keys.
std::string cifar_batch(const Images& images, std::int64_t begin, std::int64_t end, bool cifar100,
                        const std::string& batch_label) {
  const std::int64_t row = 3072;
  pk::Dict d;
  d.add(key("batch_label", true), pk::Value::bytes(batch_label));
  std::vector<std::int64_t> labels(images.labels.begin() + begin, images.labels.begin() + end);
  if (cifar100) {
    d.add(key("fine_labels", true), int_list(labels));
    std::vector<std::int64_t> coarse;
    for (auto l : labels) coarse.push_back(l / 5);
    d.add(key("coarse_labels", true), int_list(coarse));
  } else {
    d.add(key("labels", true), int_list(labels));
  }
  d.add(key("data", true),
        uint8_array(images.pixels.substr(begin * row, (end - begin) * row), end - begin, row));
  std::vector<pk::Value> names;
  for (std::int64_t i = begin; i < end; ++i) {
    names.push_back(pk::Value::bytes("fake_" + std::to_string(i) + ".png"));
  }
  d.add(key("filenames", true), pk::Value::list(std::move(names)));
  return python2_dump(pk::Value::dict(std::move(d)));
}

Images slice(const Images& images, std::int64_t begin, std::int64_t end) {
  const auto bytes = static_cast<std::int64_t>(images.pixels.size() / images.labels.size());
  Images part;
  part.labels.assign(images.labels.begin() + begin, images.labels.begin() + end);
  part.pixels = images.pixels.substr(begin * bytes, (end - begin) * bytes);
  return part;
}

std::string cifar_binary(const Images& images, bool cifar100) {
  std::string out;
  const std::size_t n = images.labels.size();
  out.reserve(n * (cifar100 ? 3074 : 3073));
  for (std::size_t i = 0; i < n; ++i) {
    if (cifar100) out += static_cast<char>(images.labels[i] / 5);
    out += static_cast<char>(images.labels[i]);
    out.append(images.pixels, i * 3072, 3072);
  }
  return out;
}

// An ImageNet16 file as the downsampling scripts write it (§1.6): Python 3 str keys.
std::string imagenet_file(const Images& images, std::int64_t begin, std::int64_t end, bool train) {
  const std::int64_t row = 768;
  pk::Dict d;
  d.add(key("data", false),
        uint8_array(images.pixels.substr(begin * row, (end - begin) * row), end - begin, row));
  d.add(key("labels", false),
        int_list({images.labels.begin() + begin, images.labels.begin() + end}));
  if (train) {
    pk::NumpyArray mean;
    mean.dtype = "<f8";
    mean.shape = {row};
    mean.data.assign(row * 8, '\0');
    d.add(key("mean", false), pk::Value::numpy_array(std::move(mean)));
  }
  return pk::dump(pk::Value::dict(std::move(d)));
}

void write(FakeDataResult& result, const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  write_file_atomic(path.string(), bytes);
  result.files.push_back(path.string());
}

}  // namespace

FakeDataResult make_fake_data(const FakeDataOptions& o) {
  const SourceInfo& info = source_info(o.source);
  const bool imagenet = o.source == Source::ImageNet16;
  const std::int64_t train = o.train > 0 ? o.train : (imagenet ? 3000 : 1000);
  const std::int64_t test = o.test > 0 ? o.test : (imagenet ? 1000 : 200);
  if (o.train < 0 || o.test < 0) throw ArgError("--train/--test: expected positive image counts");
  const auto files = static_cast<std::int64_t>(info.python_train_files.size());
  if (train < files) {
    throw ArgError("--train " + std::to_string(train) + ": " + std::string(info.title) +
                   " needs at least " + std::to_string(files) + " (one per file)");
  }
  if (o.layout != "python" && o.layout != "binary") {
    throw ArgError("--layout '" + o.layout + "': expected python or binary");
  }
  if (imagenet && o.layout != "python") throw ArgError("--layout binary: only for CIFAR");
  if (o.root.empty()) throw ArgError("--root: expected a directory");

  FakeDataResult result;
  std::mt19937_64 rng(o.seed * 0x9E3779B97F4A7C15ull + static_cast<int>(o.source));
  const fs::path root(o.root);
  const fs::path splits = root / "splits";
  std::int64_t kept_train = 0, kept_test = 0;

  if (o.source == Source::Cifar10 || o.source == Source::Cifar100) {
    const bool c100 = o.source == Source::Cifar100;
    const Images tr = generate(train, info.side, info.classes_in_files, 0, rng);
    const Images te = generate(test, info.side, info.classes_in_files, 0, rng);
    const bool binary = o.layout == "binary";
    const fs::path dir = root / (binary ? info.binary_folder : info.python_folder);
    const auto& train_files = binary ? info.binary_train_files : info.python_train_files;
    const auto n = static_cast<std::int64_t>(train_files.size());
    const std::int64_t per = train / n;
    for (std::int64_t k = 0; k < n; ++k) {
      const std::int64_t b = k * per, e = k == n - 1 ? train : b + per;
      const std::string label =
          "training batch " + std::to_string(k + 1) + " of " + std::to_string(n);
      write(result, dir / train_files[k],
            binary ? cifar_binary(slice(tr, b, e), c100) : cifar_batch(tr, b, e, c100, label));
    }
    const auto& test_file = (binary ? info.binary_test_files : info.python_test_files).at(0);
    write(result, dir / test_file,
          binary ? cifar_binary(te, c100) : cifar_batch(te, 0, test, c100, "testing batch 1 of 1"));
    if (!binary) {
      // The class names, as the official meta files hold them (only md5-checked, never read).
      pk::Dict meta;
      std::vector<pk::Value> names;
      for (int k = 0; k < info.classes_in_files; ++k)
        names.push_back(pk::Value::bytes("class" + std::to_string(k)));
      meta.add(key(c100 ? "fine_label_names" : "label_names", true),
               pk::Value::list(std::move(names)));
      write(result, dir / (c100 ? "meta" : "batches.meta"),
            python2_dump(pk::Value::dict(std::move(meta))));
    }
    kept_train = train;
    kept_test = test;
  } else {
    // Labels 1..150: 4 of 5 images fall in the 120-class subset.
    auto labels_for = [&](std::int64_t n) {
      std::vector<std::int64_t> labels(n);
      for (auto& l : labels) l = 1 + static_cast<std::int64_t>(rng() % 150);
      return labels;
    };
    const auto train_labels = labels_for(train), test_labels = labels_for(test);
    const Images tr = generate(train, 16, 0, 0, rng, &train_labels);
    const Images te = generate(test, 16, 0, 0, rng, &test_labels);
    const fs::path dir = root / info.python_folder;
    const auto n = static_cast<std::int64_t>(info.python_train_files.size());
    const std::int64_t per = train / n;
    for (std::int64_t k = 0; k < n; ++k) {
      const std::int64_t b = k * per, e = k == n - 1 ? train : b + per;
      write(result, dir / info.python_train_files[k], imagenet_file(tr, b, e, true));
    }
    write(result, dir / info.python_test_files.at(0), imagenet_file(te, 0, test, false));
    kept_train =
        std::count_if(train_labels.begin(), train_labels.end(), [](auto l) { return l <= 120; });
    kept_test =
        std::count_if(test_labels.begin(), test_labels.end(), [](auto l) { return l <= 120; });
  }

  if (o.write_splits) {
    // Same recipes and key names as the official files, over this data's sizes.
    const auto put = [&](std::string_view name, std::uint64_t seed, std::int64_t n) {
      const SplitInfo& info = split_info(name);
      const fs::path path = splits / std::string(info.file);
      fs::create_directories(splits);
      write_split_file(path.string(), generate_shuffle_split(seed, n, std::string(info.first_key),
                                                             std::string(info.second_key)));
      result.files.push_back(path.string());
    };
    if (o.source == Source::Cifar10) put("cifar-split", 1021, kept_train);
    if (o.source == Source::Cifar100) put("cifar100-test-split", o.seed + 100, kept_test);
    if (imagenet) {
      put("imagenet-16-120-test-split", o.seed + 120, kept_test);
      put("ImageNet16-120-split", 111, kept_train);
    }
    result.splits_dir = splits.string();
  }
  return result;
}

}  // namespace natsbench::data
