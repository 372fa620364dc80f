#include "natsbench/train/trainer.h"

#include <ATen/Context.h>
#include <torch/nn/functional/loss.h>

#include <chrono>
#include <cmath>
#include <filesystem>

#include "natsbench/model/cost.h"
#include "natsbench/model/device.h"
#include "natsbench/model/state_dict.h"
#include "natsbench/train/checkpoint.h"
#include "natsbench/train/interrupt.h"
#include "natsbench/util/atomic_file.h"
#include "natsbench/util/error.h"

namespace natsbench::train {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void set_lr(torch::optim::SGD& optimizer, double lr) {
  for (auto& group : optimizer.param_groups())
    static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
}

BatchStats append(BatchStats a, const BatchStats& b) {
  a.loss.insert(a.loss.end(), b.loss.begin(), b.loss.end());
  a.correct1.insert(a.correct1.end(), b.correct1.begin(), b.correct1.end());
  a.correct5.insert(a.correct5.end(), b.correct5.begin(), b.correct5.end());
  a.size.insert(a.size.end(), b.size.begin(), b.size.end());
  return a;
}

std::int64_t capped(std::int64_t batches, std::int64_t max_batches) {
  return max_batches > 0 ? std::min(batches, max_batches) : batches;
}

// The network, optimizer and costs of a run, built the way the reference does after seeding:
// initialisation, then the cost count's torch.rand draw, both on the CPU generator.
struct Model {
  model::CellNetwork net{nullptr};
  std::unique_ptr<torch::optim::SGD> optimizer;
  model::Cost cost;
};

Model build_model(const RunSpec& spec, const c10::Device& device) {
  const DatasetInfo& info = dataset_info(spec.dataset);
  torch::manual_seed(spec.seed);
  Model m;
  m.net = model::make_network(spec.arch, info.num_classes);
  m.cost = model::count_cost(m.net, info.image_size);
  m.net->to(device);
  m.optimizer = make_optimizer(m.net, spec.hp);
  return m;
}

std::string describe(double value) {
  return std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf");
}

}  // namespace

std::unique_ptr<torch::optim::SGD> make_optimizer(model::CellNetwork& net, const HyperParams& hp) {
  return std::make_unique<torch::optim::SGD>(net->parameters(), torch::optim::SGDOptions(hp.lr)
                                                                    .momentum(hp.momentum)
                                                                    .dampening(0)
                                                                    .weight_decay(hp.weight_decay)
                                                                    .nesterov(hp.nesterov));
}

void set_deterministic(bool deterministic) {
  auto& ctx = at::globalContext();
  ctx.setUserEnabledCuDNN(true);
  ctx.setDeterministicCuDNN(deterministic);
  ctx.setBenchmarkCuDNN(!deterministic);
  // LibTorch 2.x lets cuDNN convolutions use TF32 (10-bit mantissa inputs) on Ampere and later
  // unless told otherwise; the benchmark's mode is fp32 (§5.10 predates TF32).
  ctx.setAllowTF32CuDNN(!deterministic);
  ctx.setAllowTF32CuBLAS(!deterministic);
}

std::int64_t train_batches(model::CellNetwork& net, torch::optim::SGD& optimizer,
                           data::BatchSource& loader, const HyperParams& hp, int epoch,
                           std::int64_t first, std::int64_t end, MetricAccumulator& metrics,
                           const std::function<bool(std::int64_t)>& after_step) {
  net->train();
  const std::int64_t iters = loader.size();
  for (std::int64_t i = first; i < end; ++i) {
    // Only warm-up epochs change the rate within an epoch (spec §5.6).
    if (epoch < hp.warmup) set_lr(optimizer, learning_rate(hp, epoch, i, iters));
    const data::Batch batch = loader.get(i);
    optimizer.zero_grad();
    const auto [features, logits] = net->forward(batch.images);
    const at::Tensor loss = torch::nn::functional::cross_entropy(logits, batch.labels);
    loss.backward();
    optimizer.step();
    {
      torch::NoGradGuard no_grad;
      metrics.add(i, loss, logits.detach(), batch.labels);
    }
    if (after_step && !after_step(i)) return i + 1;
  }
  return end;
}

EpochMetrics evaluate(model::CellNetwork& net, data::BatchSource& loader, const c10::Device& device,
                      std::int64_t batches) {
  torch::NoGradGuard no_grad;
  net->eval();
  MetricAccumulator metrics(batches, device);
  model::synchronize(device);
  const auto start = Clock::now();
  for (std::int64_t i = 0; i < batches; ++i) {
    const data::Batch batch = loader.get(i);
    const auto [features, logits] = net->forward(batch.images);
    metrics.add(i, torch::nn::functional::cross_entropy(logits, batch.labels), logits,
                batch.labels);
  }
  model::synchronize(device);
  const double seconds = seconds_since(start);
  return combine(metrics.read(0, batches), seconds);
}

std::optional<RunRecord> finished_record(const RunSpec& spec, const RunPaths& paths) {
  std::error_code ec;
  if (!std::filesystem::exists(paths.record, ec)) return std::nullopt;
  const auto text = nlohmann::json::parse(read_file(paths.record), nullptr, false);
  if (text.is_discarded()) throw Error(paths.record + ": not valid JSON (a damaged record?)");
  RunRecord done = record_from_json(text, paths.record);
  if (spec_json(done.spec) != spec_json(spec)) {
    throw Error(paths.record + ": holds a record of another run (" + spec_json(done.spec).dump() +
                "); use another output directory");
  }
  return done;
}

RunResult train_run(const RunSpec& spec, const data::BenchmarkData& data, const c10::Device& device,
                    const RunPaths& paths, const TrainHooks& hooks) {
  namespace fs = std::filesystem;
  const auto started = Clock::now();
  const auto warn = [&](const std::string& text) {
    if (hooks.on_warning) hooks.on_warning(text);
  };
  if (data.name != spec.dataset)
    throw ArgError("run of " + spec.dataset + " given the data of " + data.name);
  if (auto done = finished_record(spec, paths)) return {RunOutcome::AlreadyDone, *done, 0};
  std::error_code ec;
  fs::create_directories(fs::path(paths.record).parent_path(), ec);
  if (ec) throw Error(fs::path(paths.record).parent_path().string() + ": " + ec.message());

  set_deterministic(spec.deterministic);
  Model m = build_model(spec, device);

  CheckpointState state;
  RunRecord& record = state.record;
  record.status = "running";
  record.spec = spec;
  record.device = device.str();
  record.flop = m.cost.flops();
  record.param = m.cost.params();
  record.train_images = data.train.size();
  for (const auto& [name, set] : data.eval_sets) record.eval_images.emplace_back(name, set.size());
  record.environment = hooks.environment;
  record.started = utc_now_iso8601();

  RunResult result;
  if (fs::exists(paths.checkpoint, ec)) {
    try {
      state = load_checkpoint(paths.checkpoint, spec, *m.net, *m.optimizer);
      result.resumed_from = state.epoch;
      record.resumes.push_back({{"epoch", state.epoch},
                                {"batch", state.next_batch},
                                {"at", utc_now_iso8601()},
                                {"device", device.str()}});
    } catch (const CheckpointError& e) {
      warn(std::string(e.what()) + "; starting the run from scratch");
      m = build_model(spec, device);  // a failed restore may have left parts loaded
    }
  }

  auto train_loader = data::make_train_loader(data, device, spec.seed, spec.hp.batch_size);
  std::vector<std::shared_ptr<data::BatchSource>> eval_loaders;
  for (std::size_t k = 0; k < data.eval_sets.size(); ++k) {
    eval_loaders.push_back(data::make_eval_loader(data, data.eval_sets[k].first, device,
                                                  data::epoch_seed(spec.seed, k, 7),
                                                  spec.hp.batch_size));
  }
  const std::int64_t batches = capped(train_loader->size(), spec.max_batches);
  record.train_batches = batches;
  const int epochs = spec.hp.total_epochs();

  const auto checkpoint = [&](int epoch, std::int64_t next, const BatchStats& partial,
                              double seconds) {
    state.epoch = epoch;
    state.next_batch = next;
    state.partial = partial;
    state.partial_seconds = seconds;
    save_checkpoint(paths.checkpoint, *m.net, *m.optimizer, state);
  };
  const auto finish = [&](const std::string& status) {
    record.status = status;
    record.finished = utc_now_iso8601();
    write_file_atomic(paths.record, to_json(record).dump(1) + "\n");
    fs::remove(paths.checkpoint, ec);
  };
  const auto fail = [&](int epoch, const std::string& reason) {
    record.failed_epoch = epoch;
    record.failure = reason;
    finish("failed");
    result.outcome = RunOutcome::Failed;
    result.record = record;
    return result;
  };
  const auto interrupted = [&] {
    result.outcome = RunOutcome::Interrupted;
    result.record = record;
    return result;
  };

  for (int epoch = state.epoch; epoch < epochs; ++epoch) {
    const bool resuming = epoch == state.epoch;
    const std::int64_t first = resuming ? state.next_batch : 0;
    BatchStats done = resuming ? state.partial : BatchStats{};
    double train_seconds = resuming ? state.partial_seconds : 0;

    train_loader->set_epoch(epoch);
    const double lr = learning_rate(spec.hp, epoch, 0, train_loader->size());
    set_lr(*m.optimizer, lr);
    MetricAccumulator metrics(batches, device);
    model::synchronize(device);
    const auto start = Clock::now();
    const std::int64_t next =
        train_batches(m.net, *m.optimizer, *train_loader, spec.hp, epoch, first, batches, metrics,
                      [&](std::int64_t i) {
                        if (hooks.on_batch)
                          hooks.on_batch({epoch, epochs, i + 1, batches, seconds_since(started)});
                        return !stop_requested();
                      });
    model::synchronize(device);
    train_seconds += seconds_since(start);
    done = append(std::move(done), metrics.read(first, next));
    if (next < batches) {
      checkpoint(epoch, next, done, train_seconds);
      return interrupted();
    }
    EpochRecord ep;
    ep.lr = lr;
    ep.train = combine(done, train_seconds);
    if (!ep.train.finite) {
      for (float loss : done.loss) {
        if (!std::isfinite(loss))
          return fail(epoch, "non-finite training loss (" + describe(loss) + ") in epoch " +
                                 std::to_string(epoch));
      }
    }
    for (std::size_t k = 0; k < eval_loaders.size(); ++k) {
      if (stop_requested()) {
        checkpoint(epoch, batches, done, train_seconds);  // resuming re-runs this evaluation
        return interrupted();
      }
      auto& loader = *eval_loaders[k];
      loader.set_epoch(epoch);
      const std::string& name = data.eval_sets[k].first;
      EpochMetrics metric =
          evaluate(m.net, loader, device, capped(loader.size(), spec.max_batches));
      if (!metric.finite)
        return fail(epoch,
                    "non-finite evaluation loss on " + name + " in epoch " + std::to_string(epoch));
      ep.eval.emplace_back(name, metric);
    }
    record.epochs.push_back(std::move(ep));
    checkpoint(epoch + 1, 0, {}, 0);
    if (hooks.on_epoch) hooks.on_epoch(record, epoch);
    if (stop_requested() && epoch + 1 < epochs) return interrupted();
  }

  record.latency =
      model::measure_latency(m.net, dataset_info(spec.dataset).image_size, device, 256, 3, 1);
  if (hooks.save_weights) model::save_state_dict(*m.net, paths.weights);
  finish("complete");
  result.outcome = RunOutcome::Complete;
  result.record = record;
  return result;
}

}  // namespace natsbench::train
