#include "natsbench/search/supernet_run.h"

#include <torch/torch.h>

#include <chrono>
#include <filesystem>

#include "natsbench/data/pipeline.h"
#include "natsbench/space/topology.h"
#include "natsbench/train/checkpoint.h"
#include "natsbench/util/error.h"
#include "natsbench/util/interrupt.h"

namespace natsbench::search {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ControllerTraining, loss, top1, entropy, baseline, reward,
                                   updates)

namespace {

using Clock = std::chrono::steady_clock;
using data::epoch_seed;

constexpr std::int64_t kControllerUpdates = 50;  // ENAS: controller_train_steps

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Each weight-split batch's partner: as many arch-split images, drawn uniformly with replacement.
class RandomPicks : public data::BatchSource {
 public:
  RandomPicks(const data::ImageSet& set, const c10::Device& device, std::int64_t batch_size,
              std::int64_t partner_images, std::uint64_t seed)
      : images_(set.images.to(device)),
        labels_(set.labels.to(device)),
        batch_size_(batch_size),
        partner_images_(partner_images),
        seed_(seed) {}
  std::int64_t size() const override { return (partner_images_ + batch_size_ - 1) / batch_size_; }
  data::Batch get(std::int64_t index) override {
    const auto count = std::min(batch_size_, partner_images_ - index * batch_size_);
    auto gen = at::detail::createCPUGenerator(epoch_seed(epoch_seed(seed_, epoch_, 4), index, 5));
    const auto picks =
        torch::randint(labels_.size(0), {count}, gen, torch::kLong).to(labels_.device());
    return {images_.index_select(0, picks), labels_.index_select(0, picks)};
  }
  void set_epoch(std::int64_t epoch) override { epoch_ = epoch; }

 private:
  torch::Tensor images_, labels_;
  std::int64_t batch_size_, partner_images_;
  std::uint64_t seed_;
  std::int64_t epoch_ = 0;
};

class PairLoader {
 public:
  PairLoader(const data::SearchData& d, const c10::Device& device, std::uint64_t seed,
             std::int64_t batch_size)
      : base_(std::make_shared<data::TensorBatches>(d.weight_split, device, batch_size,
                                                    /*shuffle=*/true, seed),
              data::train_transform(d.pad, d.norm), device, seed),
        arch_(std::make_shared<RandomPicks>(d.arch_split, device, batch_size, d.weight_split.size(),
                                            seed),
              data::train_transform(d.pad, d.norm), device, epoch_seed(seed, -1, 7)) {}
  std::int64_t size() const { return base_.size(); }
  void set_epoch(int epoch) {
    base_.set_epoch(epoch);
    arch_.set_epoch(epoch);
  }
  PairBatch get(std::int64_t index) {
    auto base = base_.get(index);
    auto arch = arch_.get(index);
    return {base.images, base.labels, arch.images, arch.labels};
  }

 private:
  data::MapBatches base_, arch_;
};

// The arch split for evaluation: a new random order per pass, no augmentation.
class ValidLoader : public ValidBatches {
 public:
  ValidLoader(const data::SearchData& d, const c10::Device& device, std::uint64_t seed,
              std::int64_t batch_size)
      : images_(d.arch_split.images.to(device)),
        labels_(d.arch_split.labels.to(device)),
        norm_(d.norm),
        seed_(seed),
        batch_size_(batch_size) {}
  void begin_epoch(int epoch) {
    epoch_ = epoch;
    pass_ = 0;
  }
  void start() override {
    auto gen = at::detail::createCPUGenerator(epoch_seed(epoch_seed(seed_, epoch_, 8), pass_++, 9));
    order_ = torch::randperm(labels_.size(0), gen, torch::kLong).to(labels_.device());
    position_ = 0;
  }
  std::optional<std::pair<torch::Tensor, torch::Tensor>> next() override {
    if (position_ >= order_.size(0)) return std::nullopt;
    const auto index = order_.slice(0, position_, position_ + batch_size_);
    position_ += batch_size_;
    return std::make_pair(data::to_float_normalize(images_.index_select(0, index), norm_),
                          labels_.index_select(0, index));
  }

 private:
  torch::Tensor images_, labels_, order_;
  data::Normalization norm_;
  std::uint64_t seed_;
  std::int64_t batch_size_, position_ = 0;
  int epoch_ = 0;
  std::int64_t pass_ = 0;
};

// Loss, top-1 and top-5 sums of an epoch (exact counts; loss weighted by batch size).
struct HalfSums {
  double loss = 0;
  std::int64_t correct1 = 0, correct5 = 0, images = 0;

  void add(const torch::Tensor& loss_value, const torch::Tensor& logits,
           const torch::Tensor& labels) {
    const auto k = std::min<std::int64_t>(5, logits.size(1));
    const auto top = std::get<1>(logits.topk(k, 1, true, true));
    const auto hits = top.eq(labels.view({-1, 1}));
    // One device-to-host transfer for the three (the counts are exact in double).
    const auto values =
        torch::stack({loss_value.detach().to(torch::kDouble),
                      hits.select(1, 0).sum().to(torch::kDouble), hits.sum().to(torch::kDouble)})
            .to(torch::kCPU);
    const auto* v = values.data_ptr<double>();
    const auto n = labels.size(0);
    loss += v[0] * static_cast<double>(n);
    correct1 += static_cast<std::int64_t>(v[1]);
    correct5 += static_cast<std::int64_t>(v[2]);
    images += n;
  }
  HalfAverages averages() const {
    if (images == 0) return {};
    const double n = static_cast<double>(images);
    return {loss / n, 100.0 * static_cast<double>(correct1) / n,
            100.0 * static_cast<double>(correct5) / n, images};
  }
  nlohmann::ordered_json to_json() const {
    return {{"loss", loss}, {"correct1", correct1}, {"correct5", correct5}, {"images", images}};
  }
  static HalfSums from_json(const nlohmann::ordered_json& j) {
    HalfSums s;
    j.at("loss").get_to(s.loss);
    j.at("correct1").get_to(s.correct1);
    j.at("correct5").get_to(s.correct5);
    j.at("images").get_to(s.images);
    return s;
  }
};

HalfAverages evaluate(model::TopologySupernetImpl& net, ValidLoader& valid) {
  torch::NoGradGuard no_grad;
  net.eval();
  valid.start();
  HalfSums sums;
  while (auto batch = valid.next()) {
    const auto logits = net.forward(batch->first).second;
    sums.add(torch::nn::functional::cross_entropy(logits, batch->second), logits, batch->second);
  }
  return sums.averages();
}

nlohmann::ordered_json half_json(const HalfAverages& h) {
  return {{"loss", h.loss}, {"top1", h.top1}, {"top5", h.top5}, {"images", h.images}};
}
HalfAverages half_from_json(const nlohmann::ordered_json& j) {
  return {j.at("loss").get<double>(), j.at("top1").get<double>(), j.at("top5").get<double>(),
          j.at("images").get<std::int64_t>()};
}

nlohmann::ordered_json epoch_json(const SupernetEpoch& e) {
  nlohmann::ordered_json out = {{"epoch", e.epoch},
                                {"lr", e.lr},
                                {"tau", e.tau},
                                {"base", half_json(e.base)},
                                {"arch", half_json(e.arch)},
                                {"genotype", e.genotype},
                                {"genotype_top1", e.genotype_top1},
                                {"valid", half_json(e.valid)},
                                {"search_seconds", e.search_seconds},
                                {"arch_probabilities", e.arch_probabilities}};
  if (e.controller) out["controller"] = nlohmann::json(*e.controller);
  return out;
}
SupernetEpoch epoch_from_json(const nlohmann::ordered_json& j) {
  SupernetEpoch e;
  j.at("epoch").get_to(e.epoch);
  j.at("lr").get_to(e.lr);
  j.at("tau").get_to(e.tau);
  e.base = half_from_json(j.at("base"));
  e.arch = half_from_json(j.at("arch"));
  j.at("genotype").get_to(e.genotype);
  j.at("genotype_top1").get_to(e.genotype_top1);
  e.valid = half_from_json(j.at("valid"));
  j.at("search_seconds").get_to(e.search_seconds);
  j.at("arch_probabilities").get_to(e.arch_probabilities);
  if (j.contains("controller"))
    e.controller = nlohmann::json(j.at("controller")).get<ControllerTraining>();
  return e;
}

std::string genotype_string(const model::EdgeOps& ops) {
  return format_topology(model::genotype_of(ops));
}

struct Position {
  int epoch = 0;
  std::int64_t next_step = 0;
  HalfSums base, arch;
  double seconds = 0;  // the epoch's training time so far
};

void save(const std::string& path, SupernetSearch& search, const nlohmann::ordered_json& identity,
          const SupernetRunResult& result, const Position& at) {
  auto& state = search.state();
  torch::serialize::OutputArchive archive, net, sgd, adam;
  state.net->save(net);
  state.weight_optimizer->save(sgd);
  archive.write("net", net);
  archive.write("sgd", sgd);
  if (state.arch_optimizer) {
    state.arch_optimizer->save(adam);
    archive.write("adam", adam);
  }
  train::write_generator_states(archive);
  const auto words = state.random.state();
  archive.write("python_random",
                torch::tensor(std::vector<std::int64_t>(words.begin(), words.end())));
  nlohmann::ordered_json history = nlohmann::ordered_json::array();
  for (const auto& e : result.history) history.push_back(epoch_json(e));
  // Which parameters have had a gradient: those get weight decay and momentum on every step
  // from then on, used or not (the zero-filled grads of the reference), so it is state.
  std::vector<bool> live;
  for (const auto& p : state.net->parameters()) live.push_back(p.grad().defined());
  nlohmann::ordered_json meta = {
      {"run", identity},           {"live", live},
      {"epoch", at.epoch},         {"next_step", at.next_step},
      {"base", at.base.to_json()}, {"arch", at.arch.to_json()},
      {"seconds", at.seconds},     {"search_seconds", result.search_seconds},
      {"history", history},        {"controller_baseline", nullptr}};
  if (state.controller_baseline) meta["controller_baseline"] = *state.controller_baseline;
  archive.write("state", c10::IValue(meta.dump()));
  train::write_archive_file(path, archive);
}

// Restores everything or nothing; CheckpointError when the file cannot be used.
Position restore(const std::string& path, SupernetSearch& search,
                 const nlohmann::ordered_json& identity, SupernetRunResult& result) {
  torch::serialize::InputArchive archive;
  train::read_archive_file(path, archive);
  try {
    c10::IValue meta_value;
    archive.read("state", meta_value);
    const auto meta = nlohmann::ordered_json::parse(meta_value.toStringRef());
    if (meta.at("run") != identity) {
      throw train::CheckpointError(path + ": belongs to another run: " + meta.at("run").dump());
    }
    Position at;
    at.epoch = meta.at("epoch").get<int>();
    at.next_step = meta.at("next_step").get<std::int64_t>();
    at.base = HalfSums::from_json(meta.at("base"));
    at.arch = HalfSums::from_json(meta.at("arch"));
    at.seconds = meta.at("seconds").get<double>();
    std::vector<SupernetEpoch> history;
    for (const auto& e : meta.at("history")) history.push_back(epoch_from_json(e));
    const auto live = meta.at("live").get<std::vector<bool>>();
    torch::Tensor words;
    archive.read("python_random", words);
    const auto restore_generators = train::read_generator_states(archive, path);
    auto& state = search.state();
    torch::serialize::InputArchive net, sgd, adam;
    archive.read("net", net);
    archive.read("sgd", sgd);
    if (state.arch_optimizer) archive.read("adam", adam);
    auto parameters = state.net->parameters();
    if (live.size() != parameters.size()) {
      throw train::CheckpointError(path + ": written for another supernet (" +
                                   std::to_string(live.size()) + " parameters)");
    }
    // Everything is read: restore.
    state.net->load(net);
    for (std::size_t i = 0; i < parameters.size(); ++i) {
      if (live[i]) parameters[i].mutable_grad() = torch::zeros_like(parameters[i]);
    }
    state.weight_optimizer->load(sgd);
    if (state.arch_optimizer) state.arch_optimizer->load(adam);
    const auto* w = words.data_ptr<std::int64_t>();
    state.random.set_state(std::vector<std::uint64_t>(w, w + words.numel()));
    restore_generators();
    const auto& baseline = meta.at("controller_baseline");
    state.controller_baseline =
        baseline.is_null() ? std::nullopt : std::optional<double>(baseline.get<double>());
    result.history = std::move(history);
    result.search_seconds = meta.at("search_seconds").get<double>();
    return at;
  } catch (const train::CheckpointError&) {
    throw;
  } catch (const std::exception& e) {
    throw train::CheckpointError(path + ": unreadable (" + e.what() + ")");
  }
}

}  // namespace

SupernetRunResult run_supernet_search(const SupernetRunOptions& options, const data::SearchData& d,
                                      const c10::Device& device, const SupernetProgress& progress,
                                      const std::function<void(const std::string&)>& warn) {
  if (options.max_batches < 0) throw ArgError("--max-batches: expected 0 (all) or more");
  if (options.candidates < 1) throw ArgError("--candidates: expected at least 1");
  if (d.weight_split.size() == 0 || d.arch_split.size() == 0) {
    throw ArgError("search: dataset " + d.name + " has an empty weight or arch split");
  }
  const auto identity = run_settings(options, d.name);
  auto search = std::make_unique<SupernetSearch>(options.algorithm, d.num_classes, options.seed,
                                                 options.epochs, device);
  PairLoader loader(d, device, options.seed, options.batch_size);
  ValidLoader valid(d, device, options.seed, options.valid_batch_size);

  SupernetRunResult result;
  result.settings = identity;
  result.algorithm = std::string(search->algorithm().name);
  result.dataset = d.name;
  result.seed = options.seed;
  result.epochs = options.epochs;
  result.steps_per_epoch =
      options.max_batches > 0 ? std::min(options.max_batches, loader.size()) : loader.size();
  result.initial_genotype = genotype_string(search->initial_genotype());

  Position at;
  if (!options.checkpoint.empty() && std::filesystem::exists(options.checkpoint)) {
    try {
      at = restore(options.checkpoint, *search, identity, result);
    } catch (const train::CheckpointError& e) {
      if (warn) warn(std::string(e.what()) + "; starting the run over");
      search = std::make_unique<SupernetSearch>(options.algorithm, d.num_classes, options.seed,
                                                options.epochs, device);
      result.history.clear();
      result.search_seconds = 0;
      at = {};
    }
  }
  search->state().candidates = options.candidates;
  auto& net = *search->state().net;
  const bool gdas = result.algorithm == "gdas";

  for (int epoch = at.epoch; epoch < options.epochs; ++epoch) {
    search->start_epoch(epoch);
    loader.set_epoch(epoch);
    const auto started = Clock::now();
    for (std::int64_t step = at.next_step; step < result.steps_per_epoch; ++step) {
      if (stop_requested()) {
        at.epoch = epoch;
        at.next_step = step;
        at.seconds += seconds_since(started);
        if (!options.checkpoint.empty()) save(options.checkpoint, *search, identity, result, at);
        return result;
      }
      const auto batch = loader.get(step);
      const auto outcome = search->step(batch);
      at.base.add(outcome.base.loss, outcome.base.logits, batch.base_labels);
      at.arch.add(outcome.arch.loss, outcome.arch.logits, batch.arch_labels);
      if (progress.step) progress.step(epoch, step + 1, result.steps_per_epoch);
    }
    SupernetEpoch record;
    record.epoch = epoch;
    record.lr = search->state().lr();
    record.tau = gdas ? net.tau() : 0;
    record.base = at.base.averages();
    record.arch = at.arch.averages();
    record.search_seconds = at.seconds + seconds_since(started);
    valid.begin_epoch(epoch);
    if (search->trains_controller()) {
      // Not search time (spec §2.4). A stop request ends it; the run then resumes from this
      // checkpoint, at the start of the controller training, which is redone whole.
      Position phase = at;
      phase.epoch = epoch;
      phase.next_step = result.steps_per_epoch;
      phase.seconds = record.search_seconds;
      if (!options.checkpoint.empty()) save(options.checkpoint, *search, identity, result, phase);
      const int updates = static_cast<int>(
          options.max_batches > 0 ? std::min<std::int64_t>(kControllerUpdates, options.max_batches)
                                  : kControllerUpdates);
      auto training = search->train_controller(valid, updates, stop_requested);
      if (training.stopped) return result;
      record.controller = training;
    }
    const auto selection = search->derive(valid);
    record.genotype = genotype_string(selection.genotype);
    record.genotype_top1 = selection.top1;
    search->prepare_valid(selection.genotype);
    record.valid = evaluate(net, valid);
    const auto probabilities =
        (net.controller() ? net.controller()->edge_probabilities(selection.genotype)
                          : torch::softmax(net.arch_parameters().detach(), -1))
            .to(torch::kCPU);
    for (std::int64_t row = 0; row < probabilities.size(0); ++row) {
      const auto r = probabilities[row].contiguous();
      record.arch_probabilities.emplace_back(r.data_ptr<float>(), r.data_ptr<float>() + r.numel());
    }
    result.search_seconds += record.search_seconds;
    result.history.push_back(record);
    at = {};
    at.epoch = epoch + 1;
    if (!options.checkpoint.empty()) save(options.checkpoint, *search, identity, result, at);
    if (progress.epoch) progress.epoch(record);
  }
  // The final derivation, its time counted as search time (spec §2.4).
  const auto started = Clock::now();
  valid.begin_epoch(options.epochs);
  const auto final_selection = search->derive(valid);
  result.final_genotype = genotype_string(final_selection.genotype);
  result.final_top1 = final_selection.top1;
  result.search_seconds += seconds_since(started);
  result.finished = true;
  return result;
}

nlohmann::ordered_json run_settings(const SupernetRunOptions& o, const std::string& dataset) {
  return {{"algorithm", o.algorithm},
          {"dataset", dataset},
          {"seed", o.seed},
          {"epochs", o.epochs},
          {"max_batches", o.max_batches},
          {"batch_size", o.batch_size},
          {"valid_batch_size", o.valid_batch_size},
          {"candidates", o.candidates}};
}

nlohmann::ordered_json to_json(const SupernetRunResult& r) {
  nlohmann::ordered_json genotypes = nlohmann::ordered_json::object();
  genotypes["-1"] = r.initial_genotype;
  for (const auto& e : r.history) genotypes[std::to_string(e.epoch)] = e.genotype;
  nlohmann::ordered_json history = nlohmann::ordered_json::array();
  for (const auto& e : r.history) history.push_back(epoch_json(e));
  return {{"algorithm", r.algorithm},
          {"space", "tss"},
          {"dataset", r.dataset},
          {"seed", r.seed},
          {"epochs", r.epochs},
          {"steps_per_epoch", r.steps_per_epoch},
          {"finished", r.finished},
          {"settings", r.settings},
          {"genotypes", genotypes},
          {"genotype", r.history.empty() ? r.initial_genotype : r.history.back().genotype},
          {"final_derivation", r.final_genotype},
          {"final_derivation_top1", r.final_top1},
          {"search_seconds", r.search_seconds},
          {"history", history}};
}

}  // namespace natsbench::search
