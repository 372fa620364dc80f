#include "natsbench/train/trainer.h"

#include <ATen/Context.h>
#include <torch/nn/functional/loss.h>

#include <chrono>
#include <cmath>
#include <filesystem>

#include "natsbench/data/registry.h"
#include "natsbench/model/cost.h"
#include "natsbench/model/device.h"
#include "natsbench/model/state_dict.h"
#include "natsbench/train/checkpoint.h"
#include "natsbench/train/cuda_graph.h"
#include "natsbench/train/fast_step.h"
#include "natsbench/util/interrupt.h"
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
  const data::DatasetInfo& info = data::dataset(spec.dataset);
  torch::manual_seed(spec.seed);
  Model m;
  m.net = model::make_network(spec.arch, info.num_classes);
  m.cost = model::count_cost(m.net, info.side);
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
    // Only warm-up epochs change the rate within an epoch (docs/training.md §5.6).
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

struct RunDriver::Impl {
  enum class Phase { Train, Eval, Done };

  Impl(const RunSpec& spec, const data::BenchmarkData& data, const c10::Device& device,
       const RunPaths& paths, TrainHooks hooks);
  bool advance();

  bool stopping() const { return stop_asked || stop_requested(); }
  void warn(const std::string& text) const {
    if (hooks.on_warning) hooks.on_warning(text);
  }
  // Waits for this run's work (its stream) only, so that concurrent runs keep going.
  void synchronize() const {
    if (device.is_cuda()) stream.synchronize();
  }
  void begin_epoch(int e);
  void end_training();
  void end_evaluation_set();
  void end_epoch();
  void checkpoint(int at_epoch, std::int64_t next_batch, const BatchStats& partial, double seconds);
  void complete();
  void finish(const std::string& status);
  void fail(int at_epoch, const std::string& reason);
  void interrupt();

  RunSpec spec;
  const data::BenchmarkData& data;
  c10::Device device;
  RunPaths paths;
  TrainHooks hooks;
  Clock::time_point started = Clock::now();
  c10::Stream stream;
  Model m;
  CheckpointState state;
  RunResult result;
  std::shared_ptr<data::BatchSource> train_loader;
  std::vector<std::shared_ptr<data::BatchSource>> eval_loaders;
  std::unique_ptr<FastTrainStep> train_step;
  std::unique_ptr<FastEvalStep> eval_step;
  std::int64_t batches = 0;
  int epochs = 0;
  bool stop_asked = false;  // stop()

  // The epoch in progress.
  Phase phase = Phase::Train;
  int epoch = 0;
  std::int64_t next = 0;  // next training batch
  BatchStats done;        // its training batches so far
  double train_seconds = 0;
  double lr = 0;
  Clock::time_point phase_start;
  EpochRecord ep;
  std::size_t eval_set = 0;
  std::int64_t eval_next = 0, eval_batches = 0;
};

RunDriver::Impl::Impl(const RunSpec& run_spec, const data::BenchmarkData& run_data,
                      const c10::Device& run_device, const RunPaths& run_paths,
                      TrainHooks run_hooks)
    : spec(run_spec),
      data(run_data),
      device(run_device),
      paths(run_paths),
      hooks(std::move(run_hooks)),
      stream(side_stream(run_device)) {
  namespace fs = std::filesystem;
  if (data.name != spec.dataset)
    throw ArgError("run of " + spec.dataset + " given the data of " + data.name);
  if (auto finished = finished_record(spec, paths)) {
    result = {RunOutcome::AlreadyDone, *finished, 0};
    phase = Phase::Done;
    return;
  }
  std::error_code ec;
  fs::create_directories(fs::path(paths.record).parent_path(), ec);
  if (ec) throw Error(fs::path(paths.record).parent_path().string() + ": " + ec.message());

  set_deterministic(spec.deterministic);
  // This run's work goes on its own stream: what the caller enqueued before (on the default
  // stream, e.g. device-resident data) must be done first.
  model::synchronize(device);
  StreamScope scope(stream);
  m = build_model(spec, device);

  FastStepOptions step_options;
  step_options.graph = hooks.cuda_graphs && device.is_cuda() && cuda_graphs_built();
  step_options.lr_source = LrSource::Host;  // a graph switches it to Device

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

  if (fs::exists(paths.checkpoint, ec)) {
    try {
      state = load_checkpoint(paths.checkpoint, spec, *m.net, *m.optimizer);
      result.resumed_from = state.epoch;
      // The environment is the first process's; what differs per process is noted here.
      record.resumes.push_back(
          {{"epoch", state.epoch},
           {"batch", state.next_batch},
           {"at", utc_now_iso8601()},
           {"device", device.str()},
           {"concurrent_runs",
            hooks.environment.is_object() ? hooks.environment.value("concurrent_runs", 1) : 1},
           {"cuda_graphs", step_options.graph}});
    } catch (const CheckpointError& e) {
      warn(std::string(e.what()) + "; starting the run from scratch");
      m = build_model(spec, device);  // a failed restore may have left parts loaded
    }
  }

  train_loader = data::make_train_loader(data, device, spec.seed, spec.hp.batch_size);
  std::int64_t eval_rows = 1;
  for (std::size_t k = 0; k < data.eval_sets.size(); ++k) {
    eval_loaders.push_back(data::make_eval_loader(data, data.eval_sets[k].first, device,
                                                  data::epoch_seed(spec.seed, k, 7),
                                                  spec.hp.batch_size));
    eval_rows = std::max(eval_rows, capped(eval_loaders.back()->size(), spec.max_batches));
  }
  batches = capped(train_loader->size(), spec.max_batches);
  record.train_batches = batches;
  epochs = spec.hp.total_epochs();
  train_step = std::make_unique<FastTrainStep>(m.net, spec.hp, device, spec.hp.batch_size,
                                               std::max<std::int64_t>(batches, 1), step_options);
  train_step->optimizer().load_from(*m.optimizer);
  eval_step =
      std::make_unique<FastEvalStep>(m.net, device, spec.hp.batch_size, eval_rows, step_options);
  begin_epoch(state.epoch);
}

void RunDriver::Impl::begin_epoch(int e) {
  epoch = e;
  if (epoch >= epochs) {
    complete();
    return;
  }
  // The checkpoint's position when resuming; after an epoch, checkpoint() left state at e, 0.
  const bool resuming = epoch == state.epoch;
  next = resuming ? state.next_batch : 0;
  done = resuming ? state.partial : BatchStats{};
  train_seconds = resuming ? state.partial_seconds : 0;
  train_loader->set_epoch(epoch);
  lr = learning_rate(spec.hp, epoch, 0, train_loader->size());
  train_step->set_lr(lr);
  train_step->rewind();
  ep = EpochRecord{};
  phase = Phase::Train;
  synchronize();
  phase_start = Clock::now();
  if (next >= batches) end_training();
}

bool RunDriver::Impl::advance() {
  if (phase == Phase::Done) return false;
  StreamScope scope(stream);
  if (phase == Phase::Train) {
    // Only warm-up epochs change the rate within an epoch (docs/training.md §5.6).
    if (epoch < spec.hp.warmup)
      train_step->set_lr(learning_rate(spec.hp, epoch, next, train_loader->size()));
    train_step->step(train_loader->get(next));
    ++next;
    if (hooks.on_batch) hooks.on_batch({epoch, epochs, next, batches, seconds_since(started)});
    if (next == batches || stopping()) end_training();
    return phase != Phase::Done;
  }
  // Phase::Eval
  FastEvalStep& step = *eval_step;
  data::BatchSource& loader = *eval_loaders[eval_set];
  if (eval_next == 0) {
    if (stopping()) {
      checkpoint(epoch, batches, done, train_seconds);  // resuming re-runs this evaluation
      interrupt();
      return false;
    }
    loader.set_epoch(epoch);
    eval_batches = capped(loader.size(), spec.max_batches);
    step.rewind();
    synchronize();
    phase_start = Clock::now();
  }
  if (eval_next < eval_batches) step.step(loader.get(eval_next++));
  if (eval_next == eval_batches) end_evaluation_set();
  return phase != Phase::Done;
}

void RunDriver::Impl::end_training() {
  synchronize();
  train_seconds += seconds_since(phase_start);
  done = append(std::move(done), train_step->read());
  if (next < batches) {
    checkpoint(epoch, next, done, train_seconds);
    interrupt();
    return;
  }
  ep.lr = lr;
  ep.train = combine(done, train_seconds);
  if (!ep.train.finite) {
    for (float loss : done.loss) {
      if (!std::isfinite(loss)) {
        fail(epoch,
             "non-finite training loss (" + describe(loss) + ") in epoch " + std::to_string(epoch));
        return;
      }
    }
  }
  phase = Phase::Eval;
  eval_set = 0;
  eval_next = 0;
  if (eval_loaders.empty()) end_epoch();
}

void RunDriver::Impl::end_evaluation_set() {
  synchronize();
  const double seconds = seconds_since(phase_start);
  const std::string& name = data.eval_sets[eval_set].first;
  const EpochMetrics metric = combine(eval_step->read(), seconds);
  if (!metric.finite) {
    fail(epoch, "non-finite evaluation loss on " + name + " in epoch " + std::to_string(epoch));
    return;
  }
  ep.eval.emplace_back(name, metric);
  eval_next = 0;
  if (++eval_set == eval_loaders.size()) end_epoch();
}

void RunDriver::Impl::end_epoch() {
  state.record.epochs.push_back(std::move(ep));
  checkpoint(epoch + 1, 0, {}, 0);
  if (hooks.on_epoch) hooks.on_epoch(state.record, epoch);
  if (stopping() && epoch + 1 < epochs) {
    interrupt();
    return;
  }
  begin_epoch(epoch + 1);
}

void RunDriver::Impl::checkpoint(int at_epoch, std::int64_t next_batch, const BatchStats& partial,
                                 double seconds) {
  state.epoch = at_epoch;
  state.next_batch = next_batch;
  state.partial = partial;
  state.partial_seconds = seconds;
  train_step->optimizer().save_to(*m.optimizer);  // the checkpoint keeps torch::optim::SGD's format
  save_checkpoint(paths.checkpoint, *m.net, *m.optimizer, state);
}

void RunDriver::Impl::complete() {
  state.record.latency =
      model::measure_latency(m.net, data::dataset(spec.dataset).side, device, 256, 3, 1);
  if (hooks.save_weights) model::save_state_dict(*m.net, paths.weights);
  finish("complete");
  result.outcome = RunOutcome::Complete;
}

void RunDriver::Impl::finish(const std::string& status) {
  RunRecord& record = state.record;
  record.status = status;
  // What the finishing process ran: graphs only once one was captured (a step with fewer full
  // batches than the eager ones before the capture never is).
  record.environment["train_step"] = train_step->captured() ? "cuda-graph" : "eager";
  record.finished = utc_now_iso8601();
  write_file_atomic(paths.record, to_json(record).dump(1) + "\n");
  std::error_code ec;
  std::filesystem::remove(paths.checkpoint, ec);
  result.record = record;
  phase = Phase::Done;
}

void RunDriver::Impl::fail(int at_epoch, const std::string& reason) {
  state.record.failed_epoch = at_epoch;
  state.record.failure = reason;
  finish("failed");
  result.outcome = RunOutcome::Failed;
}

void RunDriver::Impl::interrupt() {
  result.outcome = RunOutcome::Interrupted;
  result.record = state.record;
  phase = Phase::Done;
}

RunDriver::RunDriver(const RunSpec& spec, const data::BenchmarkData& data,
                     const c10::Device& device, const RunPaths& paths, TrainHooks hooks)
    : impl_(std::make_unique<Impl>(spec, data, device, paths, std::move(hooks))) {}

RunDriver::~RunDriver() = default;

bool RunDriver::advance() {
  return impl_->advance();
}

const RunResult& RunDriver::result() const {
  return impl_->result;
}

void RunDriver::stop() {
  impl_->stop_asked = true;
}

RunResult train_run(const RunSpec& spec, const data::BenchmarkData& data, const c10::Device& device,
                    const RunPaths& paths, const TrainHooks& hooks) {
  RunDriver driver(spec, data, device, paths, hooks);
  while (driver.advance()) {
  }
  return driver.result();
}

}  // namespace natsbench::train
