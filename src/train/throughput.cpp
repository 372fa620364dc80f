#include "natsbench/train/throughput.h"

#include <ATen/ATen.h>
#include <torch/nn/functional/loss.h>
#include <torch/utils.h>

#include <chrono>
#include <cmath>
#include <memory>
#include <vector>

#include "natsbench/data/benchmark_data.h"
#include "natsbench/data/pipeline.h"
#include "natsbench/model/device.h"
#include "natsbench/model/network.h"
#include "natsbench/train/cuda_graph.h"
#include "natsbench/train/fast_step.h"
#include "natsbench/train/hyper_params.h"
#include "natsbench/train/trainer.h"
#include "natsbench/util/error.h"

namespace natsbench::train {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Random uint8 images and labels of the dataset's shape; the eval loader reads the same images.
data::BenchmarkData synthetic_data(const data::DatasetInfo& spec, std::int64_t images) {
  data::BenchmarkData d;
  d.name = spec.name;
  d.num_classes = spec.num_classes;
  d.input_shape = {3, spec.side, spec.side};
  d.pad = spec.pad;
  d.norm = data::source_info(spec.source).norm;
  d.layout = "synthetic";
  at::Generator gen = data::make_generator(at::kCPU, 1);
  d.train = {at::randint(0, 256, {images, 3, spec.side, spec.side}, gen,
                         at::TensorOptions().dtype(at::kByte)),
             at::randint(0, spec.num_classes, {images}, gen, at::TensorOptions().dtype(at::kLong))};
  d.eval_sets.emplace_back("ori-test", d.train);
  return d;
}

void to_channels_last(model::CellNetwork& net) {
  at::NoGradGuard no_grad;
  for (auto& p : net->parameters()) {
    if (p.dim() == 4) p.set_data(p.data().contiguous(at::MemoryFormat::ChannelsLast));
  }
}

std::shared_ptr<data::BatchSource> channels_last_batches(std::shared_ptr<data::BatchSource> inner,
                                                         const c10::Device& device) {
  return std::make_shared<data::MapBatches>(
      std::move(inner),
      [](data::Batch b, at::Generator&) {
        b.images = b.images.contiguous(at::MemoryFormat::ChannelsLast);
        return b;
      },
      device, 0);
}

// One independent run: its own network (own seed), optimizer, data order and stream.
struct Run {
  explicit Run(const c10::Stream& s) : stream(s) {}
  c10::Stream stream;
  model::CellNetwork net{nullptr};
  std::shared_ptr<data::BatchSource> train, eval;
  std::unique_ptr<torch::optim::SGD> sgd;                          // plain path
  std::unique_ptr<MetricAccumulator> train_metrics, eval_metrics;  // plain path
  std::unique_ptr<FastTrainStep> fast_train;                       // graph-safe path
  std::unique_ptr<FastEvalStep> fast_eval;
};

}  // namespace

void check_throughput_options(const ThroughputOptions& o) {
  if (o.steps < 1) throw ArgError("--steps " + std::to_string(o.steps) + ": expected >= 1");
  if (o.warmup < 0) throw ArgError("--warmup " + std::to_string(o.warmup) + ": expected >= 0");
  if (o.concurrent < 1)
    throw ArgError("--concurrent " + std::to_string(o.concurrent) + ": expected >= 1");
  if (o.profile_steps < 0) throw ArgError("profile steps: expected >= 0");
  if (o.graph) {
    if (!o.device.is_cuda())
      throw ArgError("--graph: CUDA graphs need --device cuda (this is " + o.device.str() + ")");
    if (o.path != StepPath::GraphSafe)
      throw ArgError("--graph needs the graph-safe step (--step graph-safe)");
    if (!cuda_graphs_built())
      throw ArgError("--graph: this build links a CPU-only LibTorch (scripts/build-cuda.sh)");
    if (o.warmup < kGraphEagerSteps + 1)
      throw ArgError("--warmup " + std::to_string(o.warmup) + ": the graph path needs at least " +
                     std::to_string(kGraphEagerSteps + 1) + " untimed steps (" +
                     std::to_string(kGraphEagerSteps) + " eager steps, then the capture)");
  }
  data::dataset(o.dataset);  // throws ArgError for an unknown name
}

ThroughputResult measure_throughput(const ThroughputOptions& o) {
  check_throughput_options(o);
  const data::DatasetInfo& spec = data::dataset(o.dataset);
  const HyperParams hp = load_hyper_params("200");
  ThroughputResult result;
  const std::int64_t batch = result.batch_size;
  const bool plain = o.path == StepPath::Plain;
  // The data do not depend on the path, so that both paths see the same batches.
  const std::int64_t batches = o.warmup + o.steps + o.profile_steps;
  const std::int64_t profiled = plain ? o.profile_steps : 0;
  const data::BenchmarkData d = synthetic_data(spec, batches * batch);

  FastStepOptions fast_options;
  fast_options.graph = o.graph;
  fast_options.eager_steps = kGraphEagerSteps;
  fast_options.lr_source = o.device.is_cuda() ? LrSource::Device : LrSource::Host;

  std::vector<Run> runs;
  for (int r = 0; r < o.concurrent; ++r) {
    // Seeds of the benchmark's runs (777, 888, 999, then on by 111): runs differ like seeds do.
    const std::uint64_t seed = 777 + 111 * static_cast<std::uint64_t>(r);
    Run run(side_stream(o.device));
    torch::manual_seed(seed);
    run.net = model::make_network(o.arch, spec.num_classes);
    run.net->to(o.device);
    if (o.channels_last) to_channels_last(run.net);
    run.train = data::make_train_loader(d, o.device, seed, batch);
    run.eval = data::make_eval_loader(d, "ori-test", o.device, seed, batch);
    if (o.channels_last) {
      run.train = channels_last_batches(run.train, o.device);
      run.eval = channels_last_batches(run.eval, o.device);
    }
    run.train->set_epoch(0);
    run.eval->set_epoch(0);
    if (plain) {
      run.sgd = make_optimizer(run.net, hp);
      run.train_metrics = std::make_unique<MetricAccumulator>(batches, o.device);
      run.eval_metrics = std::make_unique<MetricAccumulator>(batches, o.device);
    } else {
      run.fast_train =
          std::make_unique<FastTrainStep>(run.net, hp, o.device, batch, batches, fast_options);
      run.fast_train->set_lr(learning_rate(hp, 0));
      run.fast_eval =
          std::make_unique<FastEvalStep>(run.net, o.device, batch, batches, fast_options);
    }
    runs.push_back(std::move(run));
  }
  // Parameters and data were copied on the default stream; the runs' streams start after.
  model::synchronize(o.device);

  const auto train_step = [&](Run& run, std::int64_t i) {
    StreamScope scope(run.stream);
    if (plain) {
      train_batches(run.net, *run.sgd, *run.train, hp, 0, i, i + 1, *run.train_metrics, {});
    } else {
      run.fast_train->step(run.train->get(i));
    }
  };
  const auto eval_step = [&](Run& run, std::int64_t i) {
    StreamScope scope(run.stream);
    if (plain) {
      // evaluate()'s loop body, one batch at a time.
      at::NoGradGuard no_grad;
      run.net->eval();
      const data::Batch b = run.eval->get(i);
      const auto [features, logits] = run.net->forward(b.images);
      run.eval_metrics->add(i, torch::nn::functional::cross_entropy(logits, b.labels), logits,
                            b.labels);
    } else {
      run.fast_eval->step(run.eval->get(i));
    }
  };
  const auto timed = [&](const auto& step) {
    for (std::int64_t i = 0; i < o.warmup; ++i)
      for (Run& run : runs) step(run, i);
    model::synchronize(o.device);
    const auto start = Clock::now();
    for (std::int64_t i = o.warmup; i < o.warmup + o.steps; ++i)
      for (Run& run : runs) step(run, i);
    model::synchronize(o.device);
    return seconds_since(start);
  };

  result.train_seconds = timed(train_step);
  result.eval_seconds = timed(eval_step);
  result.train_images = result.eval_images = o.steps * batch * o.concurrent;

  for (std::size_t r = 0; r < runs.size(); ++r) {
    const BatchStats s = plain ? runs[r].train_metrics->read(o.warmup, o.warmup + o.steps)
                               : runs[r].fast_train->read();
    const std::size_t first = plain ? 0 : static_cast<std::size_t>(o.warmup);
    for (std::size_t i = first; i < s.loss.size(); ++i)
      result.finite = result.finite && std::isfinite(s.loss[i]);
    if (r == 0) {
      result.first_loss = s.loss.at(first);
      result.last_loss = s.loss.back();
    }
  }

  // Where a plain step's time goes: more steps of run 0, synchronised after every phase.
  if (profiled > 0) {
    Run& run = runs.front();
    StreamScope scope(run.stream);
    std::map<std::string, double> phase;
    run.net->train();
    for (std::int64_t i = o.warmup + o.steps; i < o.warmup + o.steps + profiled; ++i) {
      model::synchronize(o.device);
      auto t = Clock::now();
      const auto lap = [&](const char* name) {
        model::synchronize(o.device);
        phase[name] += seconds_since(t);
        t = Clock::now();
      };
      const data::Batch b = run.train->get(i);
      lap("data_augment");
      run.sgd->zero_grad();
      const auto [features, logits] = run.net->forward(b.images);
      const at::Tensor loss = torch::nn::functional::cross_entropy(logits, b.labels);
      lap("forward");
      loss.backward();
      lap("backward");
      run.sgd->step();
      lap("optimizer_step");
    }
    double total = 0;
    for (const auto& [name, s] : phase) total += s;
    for (const auto& [name, s] : phase) result.profile[name] = s / total;
  }
  return result;
}

}  // namespace natsbench::train
