// natsbench dataset --name D --root DIR [--splits DIR] [--verify]
// natsbench make-fake-data --root DIR --dataset cifar10|cifar100|imagenet16 [--train N --test M]
//                          [--seed S] [--layout python|binary]
// natsbench bench data --dataset D --root DIR [--splits DIR] [--device cpu] [--epochs E]
#include <ATen/ATen.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>

#include "cli_common.h"
#include "natsbench/data/benchmark_data.h"
#include "natsbench/data/fake_data.h"
#include "natsbench/data/pipeline.h"
#include "natsbench/data/registry.h"
#include "natsbench/model/device.h"
#include "natsbench/train/environment.h"

namespace natsbench::cli {

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Action add_dataset_command(CLI::App& app) {
  struct Options {
    std::string name, root, splits;
    bool verify = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("dataset", "Load a benchmark dataset and print its sets as JSON");
  cmd->add_option("--name", o->name, data::dataset_names())->required();
  cmd->add_option("--root", o->root, "Dataset root (the reference's $TORCH_HOME/cifar.python)")
      ->required();
  cmd->add_option("--splits", o->splits,
                  "Directory of the split files (cifar-split is regenerated when absent)");
  cmd->add_flag("--verify", o->verify, "Check the md5 of the official dataset files");
  return [o]() {
    data::dataset(o->name);  // ArgError for an unknown name before any I/O
    const auto start = std::chrono::steady_clock::now();
    const data::BenchmarkData d =
        data::load_benchmark_data(o->name, {o->root, o->splits, o->verify});
    nlohmann::json sets = {{"train", d.train.size()}};
    nlohmann::json order = nlohmann::json::array();
    for (const auto& [name, set] : d.eval_sets) {
      sets[name] = set.size();
      order.push_back(name);
    }
    print_json({{"dataset", d.name},
                {"root", o->root},
                {"layout", d.layout},
                {"num_classes", d.num_classes},
                {"input_shape", d.input_shape},
                {"sizes", sets},
                {"eval_order", order},
                {"official_sizes", d.official_sizes},
                {"checksums", train::checksum_report(d, o->verify)},
                {"warnings", d.warnings},
                {"load_seconds", seconds_since(start)}});
    return 0;
  };
}

Action add_make_fake_data_command(CLI::App& app) {
  struct Options {
    std::string root, dataset, layout = "python";
    std::int64_t train = 0, test = 0;
    std::uint64_t seed = 0;
    bool no_splits = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("make-fake-data",
                                 "Write a small learnable dataset in the official on-disk layout");
  cmd->add_option("--root", o->root, "Dataset root to write into")->required();
  cmd->add_option("--dataset", o->dataset, "cifar10, cifar100 or imagenet16")->required();
  // Fake data lives in memory while written: a bound keeps a typo from ending in bad_alloc.
  cmd->add_option("--train", o->train, "Training images (default 1000; ImageNet16 3000)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1000000}));
  cmd->add_option("--test", o->test, "Test/val images (default 200; ImageNet16 1000)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1000000}));
  cmd->add_option("--seed", o->seed, "Seed of the images and labels")
      ->check(CLI::NonNegativeNumber)  // a negative seed would wrap to 2^64 - k
      ->capture_default_str();
  cmd->add_option("--layout", o->layout, "python (pickles) or binary (CIFAR .bin files)")
      ->capture_default_str();
  cmd->add_flag("--no-splits", o->no_splits, "Do not write ROOT/splits/ for these sizes");
  return [o]() {
    data::FakeDataOptions f;
    f.root = o->root;
    f.source = data::parse_source(o->dataset);
    f.train = o->train;
    f.test = o->test;
    f.seed = o->seed;
    f.layout = o->layout;
    f.write_splits = !o->no_splits;
    const auto result = data::make_fake_data(f);
    print_json({{"root", o->root},
                {"dataset", data::source_name(f.source)},
                {"files", result.files},
                {"splits", result.splits_dir}});
    return 0;
  };
}

namespace {

// The raw dataset files of a benchmark dataset in the python layout (those that exist).
std::vector<std::string> python_layout_files(const std::string& dataset, const std::string& root) {
  namespace fs = std::filesystem;
  const data::SourceInfo& source = data::source_info(data::dataset(dataset).source);
  // ImageNet16's files may lie in ROOT itself (as read_source accepts).
  std::vector<fs::path> dirs = {fs::path(root) / source.python_folder};
  if (source.id == data::Source::ImageNet16) dirs.push_back(fs::path(root));
  std::vector<fs::path> candidates;
  for (const auto& dir : dirs) {
    for (const auto& name : source.python_train_files) candidates.push_back(dir / name);
    for (const auto& name : source.python_test_files) candidates.push_back(dir / name);
  }
  std::vector<std::string> files;
  for (const auto& path : candidates) {
    if (fs::is_regular_file(path)) files.push_back(path.string());
  }
  return files;
}

// Seconds Python's pickle + numpy take to load `files` as the reference does (system python3).
std::optional<double> python_load_seconds(const std::vector<std::string>& files) {
  if (files.empty()) return std::nullopt;
  std::string command =
      "/usr/bin/python3 -c 'import pickle, sys, time, numpy as np\n"
      "t = time.perf_counter()\n"
      "for path in sys.argv[1:]:\n"
      "    with open(path, \"rb\") as f:\n"
      "        entry = pickle.load(f, encoding=\"latin1\")\n"
      "    images = np.asarray(entry[\"data\"], dtype=np.uint8)\n"
      "    labels = np.asarray(entry[\"labels\"] if \"labels\" in entry else "
      "entry[\"fine_labels\"])\n"
      "print(time.perf_counter() - t)' 2>/dev/null";
  for (const auto& file : files) command += " '" + file + "'";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  char buffer[128] = {0};
  const bool got = std::fgets(buffer, sizeof buffer, pipe) != nullptr;
  if (::pclose(pipe) != 0 || !got) return std::nullopt;
  return std::strtod(buffer, nullptr);
}

}  // namespace

Action add_bench_data_command(CLI::App& bench) {
  struct Options {
    std::string dataset, root, splits, device = "cpu";
    int epochs = 1;
    std::uint64_t seed = 0;
    bool compare_python = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = bench.add_subcommand(
      "data", "Load time and augmented images/s of a benchmark dataset's pipeline");
  cmd->add_option("--dataset", o->dataset, data::dataset_names())->required();
  cmd->add_option("--root", o->root, "Dataset root")->required();
  cmd->add_option("--splits", o->splits, "Directory of the split files");
  cmd->add_option("--device", o->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--epochs", o->epochs, "Training epochs to time")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Pipeline seed")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_flag("--compare-python", o->compare_python,
                "Also time /usr/bin/python3 pickle + numpy loading the same raw files");
  return [o]() {
    if (o->epochs < 1) throw ArgError("--epochs " + std::to_string(o->epochs) + ": expected >= 1");
    data::dataset(o->dataset);
    const c10::Device device = model::parse_device(o->device);
    auto start = std::chrono::steady_clock::now();
    const data::BenchmarkData d =
        data::load_benchmark_data(o->dataset, {o->root, o->splits, false});
    const double load_s = seconds_since(start);

    start = std::chrono::steady_clock::now();
    auto train = data::make_train_loader(d, device, o->seed);
    model::synchronize(device);
    const double to_device_s = seconds_since(start);

    // Keep a running checksum on the device so the work cannot be skipped; read it once.
    start = std::chrono::steady_clock::now();
    at::Tensor sink = at::zeros({}, at::TensorOptions().device(device));
    std::int64_t images = 0;
    for (int e = 0; e < o->epochs; ++e) {
      train->set_epoch(e);
      for (std::int64_t b = 0; b < train->size(); ++b) {
        const data::Batch batch = train->get(b);
        sink += batch.images.sum();
        images += batch.labels.size(0);
      }
    }
    model::synchronize(device);
    const double train_s = seconds_since(start);

    start = std::chrono::steady_clock::now();
    std::int64_t eval_images = 0;
    for (const auto& [name, set] : d.eval_sets) {
      auto loader = data::make_eval_loader(d, name, device, o->seed);
      for (std::int64_t b = 0; b < loader->size(); ++b) {
        const data::Batch batch = loader->get(b);
        sink += batch.images.sum();
        eval_images += batch.labels.size(0);
      }
    }
    model::synchronize(device);
    const double eval_s = seconds_since(start);
    (void)sink.item<float>();
    nlohmann::json python = nullptr, ratio = nullptr;
    if (o->compare_python) {
      // The raw-file part of our load, timed alone, against the same work in Python.
      const auto files = python_layout_files(o->dataset, o->root);
      start = std::chrono::steady_clock::now();
      data::load_benchmark_data(o->dataset, {o->root, o->splits, false});
      const double ours = seconds_since(start);
      if (const auto seconds = python_load_seconds(files)) {
        python = *seconds;
        ratio = *seconds / ours;
      }
    }
    print_json({{"dataset", d.name},
                {"python_pickle_numpy_load_seconds", python},
                {"python_over_natsbench_load_ratio", ratio},
                {"device", o->device},
                {"load_seconds", load_s},
                {"to_device_seconds", to_device_s},
                {"train_images", images},
                {"train_batches_per_epoch", train->size()},
                {"augmented_images_per_second", images / train_s},
                {"eval_images", eval_images},
                {"eval_images_per_second", eval_images / eval_s}});
    return 0;
  };
}

}  // namespace natsbench::cli
