// natsbench bench search --algo darts-v1|darts-v2|gdas|setn|rsps|enas [--dataset cifar10]
//                        [--device cpu|cuda] [--steps K] [--warmup W] [--threads N]
// Images/s of one weight-sharing search step (weight step + arch step on a pair of batches of
// 64) on synthetic data, and the projected hours of the paper's run (100 epochs of the
// dataset's weight split, training steps only). scripts/bench/search_step.sh runs the reference
// beside it.
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <chrono>

#include "cli_common.h"
#include "natsbench/data/registry.h"
#include "natsbench/model/device.h"
#include "natsbench/search/supernet_search.h"
#include "natsbench/train/trainer.h"

namespace natsbench::cli {

namespace {

void synchronize(const c10::Device& device) {
  if (device.is_cuda()) {
    torch::empty({1}, torch::TensorOptions().device(device)).cpu();  // waits for the stream
  }
}

}  // namespace

Action add_bench_search_command(CLI::App& bench) {
  struct Options {
    std::string algorithm, dataset = "cifar10", device = "cpu";
    std::int64_t steps = 5, warmup = 2;
    int threads = 0;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = bench.add_subcommand(
      "search", "Images/s of one weight-sharing search step on synthetic data (batch 64 + 64)");
  cmd->add_option("--algo", o->algorithm, search::supernet_algorithm_names())->required();
  cmd->add_option("--dataset", o->dataset, "Shape, classes and split sizes of this dataset")
      ->capture_default_str();
  cmd->add_option("--device", o->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--steps", o->steps, "Timed steps")->capture_default_str();
  cmd->add_option("--warmup", o->warmup, "Untimed steps before them")->capture_default_str();
  cmd->add_option("--threads", o->threads,
                  "CPU threads (default: OMP_NUM_THREADS, else the CPUs this process may use)");
  return [o]() {
    if (search::find_supernet_algorithm(o->algorithm) == nullptr) {
      throw ArgError("--algo " + o->algorithm + ": expected " + search::supernet_algorithm_names());
    }
    const auto& info = data::searchable_dataset(o->dataset, "bench search");
    if (o->steps < 1) throw ArgError("--steps: expected at least 1");
    if (o->warmup < 0) throw ArgError("--warmup: expected 0 or more");
    check_threads(o->threads);
    const c10::Device device = model::parse_device(o->device);
    set_threads(o->threads);
    train::set_deterministic(true);

    constexpr std::int64_t kBatch = 64;
    search::SupernetSearch search(o->algorithm, info.num_classes, 777, 100, device);
    search.start_epoch(0);
    auto gen = at::detail::createCPUGenerator(1);
    auto images = [&] { return torch::randn({kBatch, 3, info.side, info.side}, gen).to(device); };
    auto labels = [&] { return torch::randint(info.num_classes, {kBatch}, gen).to(device); };
    const search::PairBatch batch{images(), labels(), images(), labels()};
    for (std::int64_t i = 0; i < o->warmup; ++i) search.step(batch);
    synchronize(device);
    const auto start = std::chrono::steady_clock::now();
    for (std::int64_t i = 0; i < o->steps; ++i) search.step(batch);
    synchronize(device);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() /
        static_cast<double>(o->steps);
    const std::int64_t weight_split = info.search->weight_split.is_subset()
                                          ? info.official_train_size / 2
                                          : info.official_train_size;
    const std::int64_t steps_per_epoch = (weight_split + kBatch - 1) / kBatch;
    print_json({{"algorithm", o->algorithm},
                {"dataset", o->dataset},
                {"device", device.str()},
                {"threads", at::get_num_threads()},
                {"steps", o->steps},
                {"step_seconds", seconds},
                {"images_per_second", static_cast<double>(kBatch) / seconds},
                {"steps_per_epoch", steps_per_epoch},
                {"projected_hours_100_epochs",
                 seconds * static_cast<double>(steps_per_epoch) * 100 / 3600}});
    return 0;
  };
}

}  // namespace natsbench::cli
