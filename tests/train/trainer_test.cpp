// The training loop (docs/training.md §5.5-§5.8), run records, checkpoints and resuming.
#include <ATen/ATen.h>
#include <torch/torch.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "../data/data_test_util.h"
#include "natsbench/data/benchmark_data.h"
#include "natsbench/data/fake_data.h"
#include "natsbench/data/registry.h"
#include "natsbench/model/cost.h"
#include "natsbench/train/checkpoint.h"
#include "natsbench/train/cuda_graph.h"
#include "natsbench/util/interrupt.h"
#include "natsbench/train/trainer.h"
#include "natsbench/util/atomic_file.h"
#include "train_test_util.h"

namespace train = natsbench::train;
namespace data = natsbench::data;
namespace model = natsbench::model;
using natsbench::Space;

namespace {

using natsbench::train_test::synthetic_set;

data::BenchmarkData synthetic_data(std::int64_t train_images, std::int64_t test_images) {
  data::BenchmarkData d = natsbench::train_test::cifar_shaped("cifar10-valid");
  d.train = synthetic_set(train_images, 1);
  d.eval_sets.emplace_back("ori-test", synthetic_set(test_images, 2));
  d.eval_sets.emplace_back("x-valid", synthetic_set(test_images / 2, 3));
  return d;
}

train::RunSpec small_spec(int epochs) {
  train::RunSpec spec;
  spec.arch = natsbench::lookup_arch(Space::Size, "8:8:8:8:8");
  spec.hp = train::load_hyper_params("12");
  spec.hp.name = "test" + std::to_string(epochs);
  spec.hp.epochs = epochs;
  spec.hp.batch_size = 32;
  spec.seed = 777;
  spec.dataset = "cifar10-valid";
  return spec;
}

// Everything but times and timestamps must agree bit for bit.
void check_same_metrics(const train::RunRecord& a, const train::RunRecord& b) {
  REQUIRE(a.epochs.size() == b.epochs.size());
  for (std::size_t e = 0; e < a.epochs.size(); ++e) {
    INFO("epoch " << e);
    CHECK(a.epochs[e].lr == b.epochs[e].lr);
    CHECK(a.epochs[e].train.loss == b.epochs[e].train.loss);
    CHECK(a.epochs[e].train.top1 == b.epochs[e].train.top1);
    CHECK(a.epochs[e].train.top5 == b.epochs[e].train.top5);
    REQUIRE(a.epochs[e].eval.size() == b.epochs[e].eval.size());
    for (std::size_t k = 0; k < a.epochs[e].eval.size(); ++k) {
      CHECK(a.epochs[e].eval[k].first == b.epochs[e].eval[k].first);
      CHECK(a.epochs[e].eval[k].second.loss == b.epochs[e].eval[k].second.loss);
      CHECK(a.epochs[e].eval[k].second.top1 == b.epochs[e].eval[k].second.top1);
      CHECK(a.epochs[e].eval[k].second.top5 == b.epochs[e].eval[k].second.top5);
    }
  }
  CHECK(a.flop == b.flop);
  CHECK(a.param == b.param);
}

std::vector<at::Tensor> snapshot(const torch::nn::Module& m) {
  std::vector<at::Tensor> out;
  for (const auto& p : m.parameters()) out.push_back(p.detach().clone());
  for (const auto& b : m.buffers()) out.push_back(b.detach().clone());
  return out;
}

}  // namespace

TEST_CASE("the optimizer: SGD with Nesterov momentum and weight decay on every parameter",
          "[train]") {
  torch::manual_seed(0);
  model::CellNetwork net =
      model::make_network(natsbench::lookup_arch(Space::Size, "8:8:8:8:8"), 10);
  const train::HyperParams hp = train::load_hyper_params("12");
  auto opt = train::make_optimizer(net, hp);
  REQUIRE(opt->param_groups().size() == 1);
  const auto& group = opt->param_groups()[0];
  CHECK(group.params().size() == net->parameters().size());  // BN and biases included
  const auto& o = static_cast<const torch::optim::SGDOptions&>(group.options());
  CHECK(o.lr() == 0.1);
  CHECK(o.momentum() == 0.9);
  CHECK(o.dampening() == 0);
  CHECK(o.weight_decay() == 0.0005);
  CHECK(o.nesterov());

  // Two steps against the update rule of docs/training.md §5.5, written out.
  std::vector<at::Tensor> p0, grads;
  for (auto& p : net->parameters()) {
    p0.push_back(p.detach().clone());
    grads.push_back(at::randn_like(p));
  }
  std::vector<at::Tensor> expected, buf;
  for (std::size_t i = 0; i < p0.size(); ++i) {
    const at::Tensor d = grads[i] + 0.0005 * p0[i];
    buf.push_back(d);
    expected.push_back(p0[i] - 0.1 * (d + 0.9 * buf[i]));
  }
  for (int step = 0; step < 2; ++step) {
    auto params = net->parameters();
    for (std::size_t i = 0; i < params.size(); ++i) params[i].mutable_grad() = grads[i].clone();
    opt->step();
    if (step == 0) {
      for (std::size_t i = 0; i < params.size(); ++i)
        CHECK(at::allclose(params[i].detach(), expected[i], 1e-6, 1e-7));
      for (std::size_t i = 0; i < params.size(); ++i) {
        const at::Tensor d = grads[i] + 0.0005 * expected[i];
        buf[i] = 0.9 * buf[i] + d;
        expected[i] = expected[i] - 0.1 * (d + 0.9 * buf[i]);
      }
    }
  }
  auto params = net->parameters();
  for (std::size_t i = 0; i < params.size(); ++i)
    CHECK(at::allclose(params[i].detach(), expected[i], 1e-6, 1e-7));
}

TEST_CASE("training runs in train mode, evaluation in eval mode without gradients", "[train]") {
  torch::manual_seed(0);
  model::CellNetwork net =
      model::make_network(natsbench::lookup_arch(Space::Size, "8:8:8:8:8"), 10);
  const data::BenchmarkData d = synthetic_data(64, 64);
  auto eval = data::make_eval_loader(d, "ori-test", at::kCPU, 1, 32);

  const auto before = snapshot(*net);
  const train::EpochMetrics m = train::evaluate(net, *eval, at::kCPU, eval->size());
  CHECK_FALSE(net->is_training());
  CHECK(m.images == 64);
  const auto after = snapshot(*net);
  for (std::size_t i = 0; i < before.size(); ++i) CHECK(at::equal(before[i], after[i]));
  for (const auto& p : net->parameters()) CHECK_FALSE(p.grad().defined());

  train::HyperParams hp = train::load_hyper_params("12");
  auto opt = train::make_optimizer(net, hp);
  auto loader = data::make_train_loader(d, at::kCPU, 1, 32);
  train::MetricAccumulator acc(loader->size(), at::kCPU);
  std::vector<bool> training;
  CHECK(train::train_batches(net, *opt, *loader, hp, 0, 0, loader->size(), acc, [&](std::int64_t) {
          training.push_back(net->is_training());
          return true;
        }) == 2);
  CHECK(training == std::vector<bool>{true, true});
  // BatchNorm used batch statistics and updated its running ones.
  const auto trained = snapshot(*net);
  bool running_changed = false;
  const auto buffers = net->named_buffers();
  for (const auto& item : buffers) {
    if (item.key().find("num_batches_tracked") != std::string::npos)
      CHECK(item.value().item<std::int64_t>() == 2);
    if (item.key().find("running_mean") != std::string::npos)
      running_changed = running_changed || !at::equal(item.value(), at::zeros_like(item.value()));
  }
  CHECK(running_changed);
  const train::BatchStats s = acc.read(0, 2);
  CHECK(s.size == std::vector<std::int64_t>{32, 32});
}

TEST_CASE("a run: record schema, protocol values, skip when done", "[train]") {
  natsbench::testing::TempDir dir("run");
  const data::BenchmarkData d = synthetic_data(80, 40);
  train::RunSpec spec = small_spec(2);
  const train::RunPaths paths = train::run_paths(dir.str(), spec);
  CHECK(paths.record == dir.str() + "/sss/hp-test2/arch-000000/seed-0777-cifar10-valid.json");
  train::TrainHooks hooks;
  hooks.environment = {{"natsbench", "test"}};
  hooks.save_weights = true;
  int epochs_seen = 0;
  hooks.on_epoch = [&](const train::RunRecord& r, int epoch) {
    CHECK(static_cast<int>(r.epochs.size()) == epoch + 1);
    ++epochs_seen;
  };
  const train::RunResult result = train::train_run(spec, d, at::kCPU, paths, hooks);
  CHECK(result.outcome == train::RunOutcome::Complete);
  CHECK(epochs_seen == 2);
  CHECK_FALSE(std::filesystem::exists(paths.checkpoint));
  CHECK(std::filesystem::exists(paths.weights));

  const auto j = nlohmann::json::parse(natsbench::read_file(paths.record));
  for (const char* key : {"schema",         "status",       "space",        "arch_index",
                          "arch",           "arch_config",  "hp",           "seed",
                          "dataset",        "xshape",       "train_images", "train_batches",
                          "eval_images",    "eval_order",   "max_batches",  "deterministic",
                          "flop",           "param",        "latency",      "total_epoch",
                          "learning_rates", "train_losses", "train_acc1es", "train_acc5es",
                          "train_times",    "valid_losses", "valid_acc1es", "valid_acc5es",
                          "valid_times",    "environment",  "device",       "started",
                          "finished"})
    CHECK(j.contains(key));
  CHECK(j["status"] == "complete");
  CHECK(j["arch_config"]["name"] == "infer.shape.tiny");
  CHECK(j["arch_config"]["channels"] == "8:8:8:8:8");
  CHECK(j["hp"]["optimizer"]["weight_decay"] == 0.0005);
  CHECK(j["train_images"] == 80);
  CHECK(j["train_batches"] == 3);  // 2 x 32 + 16: the last partial batch is kept
  CHECK(j["eval_images"] == nlohmann::json({{"ori-test", 40}, {"x-valid", 20}}));
  CHECK(j["eval_order"] == nlohmann::json({"ori-test", "x-valid"}));
  CHECK(j["learning_rates"] == nlohmann::json({0.1, 0.05}));  // 0.05 (1 + cos(pi e / 2))
  CHECK(j["train_losses"].size() == 2);
  CHECK(j["valid_acc1es"].size() == 4);
  CHECK(j["valid_acc1es"].contains("x-valid@1"));
  CHECK(j["latency"].get<double>() > 0);
  CHECK(j["environment"]["natsbench"] == "test");
  CHECK(j["param"] == result.record.param);
  CHECK(result.record.epochs[0].train.images == 80);
  CHECK(result.record.epochs[0].eval[0].second.images == 40);

  // The same command again finds the record and does nothing.
  const train::RunResult again = train::train_run(spec, d, at::kCPU, paths, hooks);
  CHECK(again.outcome == train::RunOutcome::AlreadyDone);
  check_same_metrics(again.record, result.record);
  // Another run writing to the same place is refused, not overwritten.
  spec.max_batches = 1;
  CHECK_THROWS_WITH(train::train_run(spec, d, at::kCPU, paths, hooks),
                    Catch::Contains("holds a record of another run"));
}

TEST_CASE("a run trains with the fast path's steps and gets the plain steps' bits", "[train]") {
  // The run (RunDriver: FastTrainStep / FastEvalStep, GraphSafeSgd) against the protocol written
  // out with the plain steps: torch::optim::SGD, train_batches(), evaluate().
  natsbench::testing::TempDir dir("plain");
  const data::BenchmarkData d = synthetic_data(80, 40);
  for (const char* arch : {"8:8:8:8:8", "tss"}) {
    INFO(arch);
    train::RunSpec spec = small_spec(2);
    if (std::string(arch) == "tss")
      spec.arch = natsbench::lookup_arch(
          Space::Topology,
          "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_1x1~2|");
    const train::RunResult run =
        train::train_run(spec, d, at::kCPU, train::run_paths(dir.str() + "/" + arch, spec), {});
    REQUIRE(run.outcome == train::RunOutcome::Complete);
    CHECK(run.record.environment["train_step"] == "eager");

    torch::manual_seed(spec.seed);
    model::CellNetwork net = model::make_network(spec.arch, 10);
    const model::Cost cost = model::count_cost(net, data::dataset(spec.dataset).side);
    auto sgd = train::make_optimizer(net, spec.hp);
    auto loader = data::make_train_loader(d, at::kCPU, spec.seed, spec.hp.batch_size);
    train::RunRecord plain;
    plain.flop = cost.flops();
    plain.param = cost.params();
    for (int epoch = 0; epoch < spec.hp.total_epochs(); ++epoch) {
      train::EpochRecord ep;
      ep.lr = train::learning_rate(spec.hp, epoch, 0, loader->size());
      for (auto& group : sgd->param_groups())
        static_cast<torch::optim::SGDOptions&>(group.options()).lr(ep.lr);
      loader->set_epoch(epoch);
      train::MetricAccumulator acc(loader->size(), at::kCPU);
      train::train_batches(net, *sgd, *loader, spec.hp, epoch, 0, loader->size(), acc, {});
      ep.train = train::combine(acc.read(0, loader->size()), 0);
      for (std::size_t k = 0; k < d.eval_sets.size(); ++k) {
        auto eval = data::make_eval_loader(d, d.eval_sets[k].first, at::kCPU,
                                           data::epoch_seed(spec.seed, k, 7), spec.hp.batch_size);
        eval->set_epoch(epoch);
        ep.eval.emplace_back(d.eval_sets[k].first,
                             train::evaluate(net, *eval, at::kCPU, eval->size()));
      }
      plain.epochs.push_back(ep);
    }
    check_same_metrics(run.record, plain);
  }
}

TEST_CASE("stopped mid-epoch or mid-evaluation and resumed: bit-identical metrics", "[train]") {
  natsbench::testing::TempDir dir("resume");
  const data::BenchmarkData d = synthetic_data(96, 48);
  const train::RunSpec spec = small_spec(3);
  const train::RunResult reference =
      train::train_run(spec, d, at::kCPU, train::run_paths(dir.str() + "/a", spec), {});
  REQUIRE(reference.outcome == train::RunOutcome::Complete);

  for (const std::int64_t stop_batch : {1, 2, 3}) {  // 3: after the epoch's last step, in eval
    INFO("stop after batch " << stop_batch << " of epoch 1");
    const train::RunPaths paths =
        train::run_paths(dir.str() + "/b" + std::to_string(stop_batch), spec);
    train::TrainHooks hooks;
    hooks.on_batch = [&](const train::Progress& p) {
      if (p.epoch == 1 && p.batch == stop_batch) natsbench::request_stop();
    };
    const train::RunResult stopped = train::train_run(spec, d, at::kCPU, paths, hooks);
    natsbench::clear_stop();
    CHECK(stopped.outcome == train::RunOutcome::Interrupted);
    CHECK(stopped.record.epochs.size() == 1);
    CHECK(std::filesystem::exists(paths.checkpoint));
    CHECK_FALSE(std::filesystem::exists(paths.record));
    const train::RunResult resumed = train::train_run(spec, d, at::kCPU, paths, {});
    CHECK(resumed.outcome == train::RunOutcome::Complete);
    CHECK(resumed.resumed_from == 1);
    CHECK(resumed.record.resumes.size() == 1);
    check_same_metrics(resumed.record, reference.record);
  }
}

TEST_CASE("interleaved runs: a failing run stops the others with checkpoints, then its error",
          "[train]") {
  natsbench::testing::TempDir dir("interleave");
  const data::BenchmarkData d = synthetic_data(96, 48);
  const train::RunSpec spec = small_spec(2);
  train::RunSpec other = spec;
  other.seed = 888;
  const train::RunResult reference =
      train::train_run(spec, d, at::kCPU, train::run_paths(dir.str() + "/ref", spec), {});
  struct Run {
    std::string name;
    std::unique_ptr<train::RunDriver> driver;
  };
  const train::RunPaths good = train::run_paths(dir.str() + "/out", spec);
  // The other run's checkpoint cannot be written (its folder does not exist): it throws at the
  // end of its first epoch, while the good run is mid-epoch.
  train::RunPaths bad = train::run_paths(dir.str() + "/out", other);
  bad.checkpoint = dir.str() + "/missing/x.ckpt";
  int started = 0;
  std::vector<std::string> ended;  // name, and whether it ended interrupted
  const auto next = [&]() -> std::unique_ptr<Run> {
    if (started == 2) return nullptr;
    auto run = std::make_unique<Run>();
    run->name = started++ == 0 ? "good" : "bad";
    run->driver =
        run->name == "good"
            ? std::make_unique<train::RunDriver>(spec, d, at::kCPU, good, train::TrainHooks{})
            : std::make_unique<train::RunDriver>(other, d, at::kCPU, bad, train::TrainHooks{});
    return run;
  };
  const auto end = [&](Run& run) {
    const bool stopped = run.driver->result().outcome == train::RunOutcome::Interrupted;
    ended.push_back(run.name + (stopped ? " interrupted" : " ended otherwise"));
  };
  CHECK_THROWS_WITH(train::interleave_runs<Run>(2, next, end),
                    Catch::Contains(dir.str() + "/missing"));
  CHECK(ended == std::vector<std::string>{"good interrupted"});
  CHECK_FALSE(natsbench::stop_requested());  // the others were stopped one by one, not by the flag
  REQUIRE(std::filesystem::exists(good.checkpoint));
  const train::RunResult resumed = train::train_run(spec, d, at::kCPU, good, {});
  CHECK(resumed.outcome == train::RunOutcome::Complete);
  check_same_metrics(resumed.record, reference.record);

  // An error while starting a run (here: the wrong dataset) stops the runs already going too.
  const train::RunPaths first = train::run_paths(dir.str() + "/start", spec);
  started = 0;
  ended.clear();
  const auto next_fails = [&]() -> std::unique_ptr<Run> {
    auto run = std::make_unique<Run>();
    run->name = "run " + std::to_string(started);
    train::RunSpec wrong = spec;
    wrong.dataset = "cifar100";
    run->driver =
        started++ == 0
            ? std::make_unique<train::RunDriver>(spec, d, at::kCPU, first, train::TrainHooks{})
            : std::make_unique<train::RunDriver>(wrong, d, at::kCPU, first, train::TrainHooks{});
    return run;
  };
  CHECK_THROWS_WITH(train::interleave_runs<Run>(2, next_fails, end),
                    Catch::Contains("given the data of cifar10-valid"));
  CHECK(ended == std::vector<std::string>{"run 0 interrupted"});
  CHECK(std::filesystem::exists(first.checkpoint));
}

TEST_CASE("a corrupt or foreign checkpoint is reported and the run restarts from scratch",
          "[train]") {
  natsbench::testing::TempDir dir("corrupt");
  const data::BenchmarkData d = synthetic_data(64, 32);
  const train::RunSpec spec = small_spec(1);
  const train::RunResult reference =
      train::train_run(spec, d, at::kCPU, train::run_paths(dir.str() + "/a", spec), {});

  const std::vector<std::pair<std::string, std::string>> damaged = {
      {"garbage", "not a checkpoint at all"},
      {"truncated", "NATSBENCH-CHECKPOINT 1 0123456789abcdef0123456789abcdef 100\nshort"},
      {"bad md5", "NATSBENCH-CHECKPOINT 1 0123456789abcdef0123456789abcdef 4\nabcd"}};
  for (const auto& [what, bytes] : damaged) {
    INFO(what);
    const train::RunPaths paths = train::run_paths(dir.str() + "/" + what, spec);
    std::filesystem::create_directories(std::filesystem::path(paths.checkpoint).parent_path());
    natsbench::write_file_atomic(paths.checkpoint, bytes);
    std::vector<std::string> warnings;
    train::TrainHooks hooks;
    hooks.on_warning = [&](const std::string& w) { warnings.push_back(w); };
    const train::RunResult result = train::train_run(spec, d, at::kCPU, paths, hooks);
    CHECK(result.outcome == train::RunOutcome::Complete);
    CHECK(result.resumed_from == 0);
    REQUIRE(warnings.size() == 1);
    CHECK_THAT(warnings[0], Catch::Contains(paths.checkpoint) &&
                                Catch::Contains("starting the run from scratch"));
    check_same_metrics(result.record, reference.record);
  }

  // A valid checkpoint of another run (other seed) at this run's path.
  train::RunSpec other = spec;
  other.seed = 1;
  other.hp.epochs = 2;
  const train::RunPaths other_paths = train::run_paths(dir.str() + "/other", other);
  train::TrainHooks stop;
  stop.on_batch = [](const train::Progress& p) {
    if (p.epoch == 1) natsbench::request_stop();
  };
  REQUIRE(train::train_run(other, d, at::kCPU, other_paths, stop).outcome ==
          train::RunOutcome::Interrupted);
  natsbench::clear_stop();
  const train::RunPaths paths = train::run_paths(dir.str() + "/foreign", spec);
  std::filesystem::create_directories(std::filesystem::path(paths.checkpoint).parent_path());
  std::filesystem::copy_file(other_paths.checkpoint, paths.checkpoint);
  std::vector<std::string> warnings;
  train::TrainHooks hooks;
  hooks.on_warning = [&](const std::string& w) { warnings.push_back(w); };
  check_same_metrics(train::train_run(spec, d, at::kCPU, paths, hooks).record, reference.record);
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], Catch::Contains("belongs to another run"));
}

TEST_CASE("a non-finite loss fails the run with its epoch and reason", "[train]") {
  natsbench::testing::TempDir dir("nan");
  const data::BenchmarkData d = synthetic_data(64, 32);
  train::RunSpec spec = small_spec(3);
  spec.hp.lr = 1e30;
  spec.hp.name = "diverge";
  const train::RunPaths paths = train::run_paths(dir.str(), spec);
  const train::RunResult result = train::train_run(spec, d, at::kCPU, paths, {});
  CHECK(result.outcome == train::RunOutcome::Failed);
  CHECK(result.record.status == "failed");
  CHECK(result.record.failed_epoch >= 0);
  CHECK_THAT(result.record.failure, Catch::Contains("non-finite"));
  CHECK_FALSE(std::filesystem::exists(paths.checkpoint));
  const auto j = nlohmann::json::parse(natsbench::read_file(paths.record));
  CHECK(j["status"] == "failed");
  CHECK(j["failure"]["epoch"] == result.record.failed_epoch);
  CHECK(j["train_losses"].size() == static_cast<std::size_t>(result.record.failed_epoch));
  // A failed run is finished: running the command again keeps the record.
  CHECK(train::train_run(spec, d, at::kCPU, paths, {}).outcome == train::RunOutcome::AlreadyDone);
}

TEST_CASE("learning is real: fake CIFAR-10, sss 8:8:8:8:8, one epoch, well above chance",
          "[train]") {
  natsbench::testing::TempDir dir("learn");
  data::FakeDataOptions fake;
  fake.root = dir.str() + "/data";
  fake.source = data::Source::Cifar10;
  fake.train = 5000;
  fake.test = 1000;
  fake.seed = 3;
  const auto written = data::make_fake_data(fake);
  const data::BenchmarkData d =
      data::load_benchmark_data("cifar10", {fake.root, written.splits_dir});
  train::RunSpec spec;
  spec.arch = natsbench::lookup_arch(Space::Size, "8:8:8:8:8");
  spec.hp = train::load_hyper_params("01");
  spec.seed = 777;
  spec.dataset = "cifar10";
  const train::RunResult r =
      train::train_run(spec, d, at::kCPU, train::run_paths(dir.str() + "/out", spec), {});
  REQUIRE(r.outcome == train::RunOutcome::Complete);
  const train::EpochMetrics& test = r.record.epochs.at(0).eval.at(0).second;
  CHECK(r.record.epochs[0].eval[0].first == "ori-test");
  CHECK(test.images == 1000);
  CHECK(test.top1 > 30.0);  // chance: 10 %
}

TEST_CASE("each benchmark dataset: batches per epoch, last batch, eval sets (docs/training.md §4)",
          "[train]") {
  struct Expected {
    const char* name;
    std::int64_t train, batches, last;
    std::vector<std::pair<std::string, std::int64_t>> eval;
  };
  const std::vector<Expected> table = {
      {"cifar10-valid", 25000, 98, 168, {{"ori-test", 10000}, {"x-valid", 25000}}},
      {"cifar10", 50000, 196, 80, {{"ori-test", 10000}}},
      {"cifar100", 50000, 196, 80, {{"ori-test", 10000}, {"x-valid", 5000}, {"x-test", 5000}}},
      {"ImageNet16-120",
       151700,
       593,
       148,
       {{"ori-test", 6000}, {"x-valid", 3000}, {"x-test", 3000}}}};
  const train::HyperParams hp = train::load_hyper_params("200");
  for (const Expected& e : table) {
    INFO(e.name);
    const data::DatasetInfo& spec = data::dataset(e.name);
    CHECK(spec.official_train_size == e.train);
    REQUIRE(spec.eval_sets.size() == e.eval.size());
    data::BenchmarkData d;
    d.name = e.name;
    d.pad = spec.pad;
    d.norm = data::source_info(spec.source).norm;
    const auto set_of = [](std::int64_t n) {
      return data::ImageSet{at::zeros({n, 3, 1, 1}, at::kByte), at::arange(n, at::kLong)};
    };
    d.train = set_of(spec.official_train_size);
    for (std::size_t k = 0; k < e.eval.size(); ++k) {
      CHECK(std::string(spec.eval_sets[k].name) == e.eval[k].first);
      CHECK(spec.eval_sets[k].official_size == e.eval[k].second);
      d.eval_sets.emplace_back(std::string(spec.eval_sets[k].name),
                               set_of(spec.eval_sets[k].official_size));
    }
    auto loader = data::make_train_loader(d, at::kCPU, 777, hp.batch_size);
    CHECK(loader->size() == e.batches);
    CHECK(loader->get(e.batches - 1).labels.size(0) == e.last);
    for (const auto& [name, n] : e.eval) {
      auto eval = data::make_eval_loader(d, name, at::kCPU, 777, hp.batch_size);
      CHECK(eval->size() == (n + 255) / 256);
      CHECK(eval->get(eval->size() - 1).labels.size(0) == n - (eval->size() - 1) * 256);
    }
  }
}

// The GPU half of the run tests: where LibTorch sees a CUDA device, otherwise says why not.
TEST_CASE("CUDA: a run replayed as CUDA graphs records what an eager run records, and resumes",
          "[train][gpu]") {
  if (!train::cuda_graphs_built()) {
    WARN(
        "skipped: this build links a CPU-only LibTorch (scripts/build-cuda.sh builds the CUDA "
        "one)");
    return;
  }
  if (!torch::cuda::is_available()) {
    WARN("skipped: no CUDA device visible");
    return;
  }
  const c10::Device cuda(c10::kCUDA, 0);
  natsbench::testing::TempDir dir("cuda-run");
  // 40 full batches of 32 per epoch: 3 eager steps, the capture, replays; 10 eval batches per set.
  const data::BenchmarkData d = synthetic_data(1280, 320);
  train::RunSpec spec = small_spec(2);
  spec.arch = natsbench::lookup_arch(Space::Topology, "11");
  train::TrainHooks eager_hooks;
  eager_hooks.cuda_graphs = false;
  const train::RunResult eager =
      train::train_run(spec, d, cuda, train::run_paths(dir.str() + "/eager", spec), eager_hooks);
  const train::RunResult graph =
      train::train_run(spec, d, cuda, train::run_paths(dir.str() + "/graph", spec), {});
  REQUIRE(eager.outcome == train::RunOutcome::Complete);
  REQUIRE(graph.outcome == train::RunOutcome::Complete);
  CHECK(eager.record.environment["train_step"] == "eager");
  CHECK(graph.record.environment["train_step"] == "cuda-graph");

  // Same kernels (deterministic cuDNN, no TF32) but for the rate's rounding (graph_safe_sgd.h):
  // after 80 steps the losses agree to 1e-3 relative and top-1 to a percentage point; a graph
  // that replayed a stale rate or stale inputs would be far off.
  const auto close = [](const train::RunRecord& a, const train::RunRecord& b) {
    REQUIRE(a.epochs.size() == b.epochs.size());
    for (std::size_t e = 0; e < a.epochs.size(); ++e) {
      INFO("epoch " << e);
      CHECK(a.epochs[e].lr == b.epochs[e].lr);
      CHECK(std::abs(a.epochs[e].train.loss - b.epochs[e].train.loss) <=
            1e-3 * std::abs(a.epochs[e].train.loss));
      CHECK(std::abs(a.epochs[e].train.top1 - b.epochs[e].train.top1) <= 1.0);
      REQUIRE(a.epochs[e].eval.size() == b.epochs[e].eval.size());
      for (std::size_t k = 0; k < a.epochs[e].eval.size(); ++k) {
        const auto& x = a.epochs[e].eval[k].second;
        const auto& y = b.epochs[e].eval[k].second;
        INFO(a.epochs[e].eval[k].first << " loss " << x.loss << " vs " << y.loss);
        CHECK(std::abs(x.loss - y.loss) <= 1e-3 * std::abs(x.loss));
        CHECK(std::abs(x.top1 - y.top1) <= 1.0);
      }
    }
  };
  close(eager.record, graph.record);

  // Stopped mid-epoch after the capture, resumed (a new capture): the uninterrupted run's numbers.
  const train::RunPaths paths = train::run_paths(dir.str() + "/resumed", spec);
  train::TrainHooks stop;
  stop.on_batch = [](const train::Progress& p) {
    if (p.epoch == 1 && p.batch == 10) natsbench::request_stop();
  };
  const train::RunResult stopped = train::train_run(spec, d, cuda, paths, stop);
  natsbench::clear_stop();
  REQUIRE(stopped.outcome == train::RunOutcome::Interrupted);
  const train::RunResult resumed = train::train_run(spec, d, cuda, paths, {});
  REQUIRE(resumed.outcome == train::RunOutcome::Complete);
  CHECK(resumed.resumed_from == 1);
  close(graph.record, resumed.record);
}
