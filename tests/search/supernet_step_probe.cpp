// K search steps of a weight-sharing algorithm on given batches, for comparison with the
// reference (tests/search/compare_supernet_steps_with_reference.py):
//
//   supernet_step_probe ALGO SEED BATCHES OUT
//
// BATCHES is a torch.save'd dict: "classes", "epochs" (the run's E), "steps_per_epoch",
// "first_epoch", "steps", and per step i the pair "bx{i}", "by{i}", "ax{i}", "ay{i}"; for ENAS's
// controller training "controller_updates", "valid_batches" and the batches "vx{v}", "vy{v}".
// The probe builds the search as the reference does from SEED, makes the two torch draws of
// each epoch's iter(search loader), runs the steps (ENAS: the controller training after each
// epoch's steps, "controller.<epoch>" = its averages), and writes to OUT (torch::pickle_save)
// every state-dict entry ("sd.<key>"), every SGD momentum buffer ("sgd.<key>"), the Adam state
// of each arch tensor ("adam.<i>.exp_avg", "adam.<i>.exp_avg_sq", "adam.<i>.step"), the losses
// ("loss.base", "loss.arch": [steps]), the initial genotype, then the next Python and torch
// draws, (ENAS) 10 controller samples, the 100 most probable cells and a random.sample of 100
// cells ([N, 6] op indices).
#include <fstream>
#include <iostream>
#include <iterator>

#include <torch/torch.h>

#include "natsbench/model/state_dict.h"
#include "natsbench/search/supernet_search.h"
#include "natsbench/train/optimizer_state.h"

using namespace natsbench;

namespace {

c10::Dict<c10::IValue, c10::IValue> read_dict(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return torch::pickle_load(bytes).toGenericDict();
}

torch::Tensor cells_tensor(const std::vector<model::EdgeOps>& cells) {
  auto out = torch::empty({static_cast<std::int64_t>(cells.size()), 6}, torch::kInt64);
  for (std::size_t i = 0; i < cells.size(); ++i) {
    for (int e = 0; e < 6; ++e) out[i][e] = static_cast<std::int64_t>(cells[i][e]);
  }
  return out;
}

// The given valid batches, cycled by the caller as the reference cycles its loader.
class FixedBatches : public search::ValidBatches {
 public:
  explicit FixedBatches(std::vector<std::pair<torch::Tensor, torch::Tensor>> batches)
      : batches_(std::move(batches)) {}
  void start() override { position_ = 0; }
  std::optional<std::pair<torch::Tensor, torch::Tensor>> next() override {
    if (position_ >= batches_.size()) return std::nullopt;
    return batches_[position_++];
  }

 private:
  std::vector<std::pair<torch::Tensor, torch::Tensor>> batches_;
  std::size_t position_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: supernet_step_probe ALGO SEED BATCHES OUT\n";
    return 2;
  }
  const std::string algo = argv[1];
  const auto seed = std::stoull(argv[2]);
  const auto batches = read_dict(argv[3]);
  auto get_int = [&](const char* key) { return static_cast<int>(batches.at(key).toInt()); };
  auto get = [&](const std::string& key) { return batches.at(key).toTensor(); };

  search::SupernetSearch search(algo, get_int("classes"), seed, get_int("epochs"), torch::kCPU);
  const int steps = get_int("steps"), per_epoch = get_int("steps_per_epoch");
  std::vector<torch::Tensor> base_losses, arch_losses;
  c10::Dict<std::string, at::Tensor> out;
  std::vector<std::pair<torch::Tensor, torch::Tensor>> valid_batches;
  if (search.trains_controller()) {
    for (int v = 0; v < get_int("valid_batches"); ++v) {
      valid_batches.emplace_back(get("vx" + std::to_string(v)), get("vy" + std::to_string(v)));
    }
  }
  FixedBatches valid(valid_batches);
  for (int i = 0; i < steps; ++i) {
    if (i % per_epoch == 0) {
      search.start_epoch(get_int("first_epoch") + i / per_epoch);
      for (int draw = 0; draw < 2; ++draw) torch::empty({}, torch::kInt64).random_();
    }
    const auto s = std::to_string(i);
    const auto outcome = search.step({get("bx" + s), get("by" + s), get("ax" + s), get("ay" + s)});
    base_losses.push_back(outcome.base.loss);
    arch_losses.push_back(outcome.arch.loss);
    if (search.trains_controller() && (i + 1) % per_epoch == 0) {
      const auto c = search.train_controller(valid, get_int("controller_updates"));
      out.insert("controller." + std::to_string(get_int("first_epoch") + i / per_epoch),
                 torch::tensor({c.loss, c.top1, c.entropy, c.baseline, c.reward}, torch::kFloat64));
    }
  }

  auto& state = search.state();
  for (const auto& [name, tensor] : model::state_dict(*state.net)) {
    out.insert("sd." + name, tensor.detach());
    if (const auto* buffer = static_cast<torch::optim::SGDParamState*>(
            train::find_param_state(*state.weight_optimizer, tensor))) {
      out.insert("sgd." + name, buffer->momentum_buffer());
    }
  }
  if (state.arch_optimizer) {
    const auto arch = state.net->arch_weights();
    for (std::size_t index = 0; index < arch.size(); ++index) {
      const auto* adam = static_cast<torch::optim::AdamParamState*>(
          train::find_param_state(*state.arch_optimizer, arch[index]));
      if (adam == nullptr) continue;
      const auto key = "adam." + std::to_string(index) + ".";
      out.insert(key + "exp_avg", adam->exp_avg());
      out.insert(key + "exp_avg_sq", adam->exp_avg_sq());
      out.insert(key + "step", torch::tensor(static_cast<double>(adam->step()), torch::kFloat64));
    }
  }
  out.insert("loss.base", torch::stack(base_losses));
  out.insert("loss.arch", torch::stack(arch_losses));
  out.insert("initial_genotype", cells_tensor({search.initial_genotype()}));
  out.insert("next.python", torch::tensor(static_cast<std::int64_t>(state.random.next_uint32())));
  out.insert("next.torch", torch::randn({4}));
  if (auto controller = state.net->controller()) {
    torch::NoGradGuard no_grad;
    state.net->eval();
    std::vector<model::EdgeOps> samples;
    for (int i = 0; i < 10; ++i) samples.push_back(controller->sample().arch);
    out.insert("samples", cells_tensor(samples));
  }
  out.insert("top100",
             cells_tensor(search::most_probable_cells(state.net->arch_parameters(), 100)));
  out.insert("random100", cells_tensor(search::random_cells(state.random, 100)));
  const auto bytes = torch::pickle_save(c10::IValue(out));
  std::ofstream(argv[4], std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return 0;
}
