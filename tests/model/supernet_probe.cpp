// One forward and backward pass of the tss search supernet, for comparison with the reference
// (tests/model/compare_supernet_with_xautodl.py):
//
//   supernet_probe STATE_DICT INPUTS MODE SEED OUT [ARCH]
//
// Loads the supernet's weights (a torch.save'd state dict) and INPUTS (a torch.save'd dict with
// "x" [B,3,H,W] and "y" [B] int64), sets MODE (joint, gdas, dynamic ARCH, urs, select), seeds
// torch with SEED (and Python's `random` with SEED for urs), runs forward in train mode and
// backward of the cross-entropy loss, and writes a dict {"logits", "features", "loss",
// "grad.<key>" for every parameter} to OUT with torch::pickle_save.
#include <fstream>
#include <iostream>
#include <iterator>

#include <torch/torch.h>

#include "natsbench/model/state_dict.h"
#include "natsbench/model/topology_supernet.h"

using namespace natsbench;

namespace {
c10::Dict<c10::IValue, c10::IValue> read_dict(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return torch::pickle_load(bytes).toGenericDict();
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::cerr << "usage: supernet_probe STATE_DICT INPUTS MODE SEED OUT [ARCH]\n";
    return 2;
  }
  const std::string mode = argv[3];
  const auto seed = std::stoull(argv[4]);
  const auto inputs = read_dict(argv[2]);
  const auto x = inputs.at("x").toTensor();
  const auto y = inputs.at("y").toTensor();
  const auto num_classes = static_cast<int>(inputs.at("classes").toInt());

  model::TopologySupernet net(num_classes);
  model::load_state_dict(*net, argv[1]);
  net->train();
  CPythonRandom python_random(seed);
  if (mode == "joint") {
    net->set_mode(model::SupernetMode::Joint);
  } else if (mode == "gdas") {
    net->set_mode(model::SupernetMode::Gdas);
  } else if (mode == "select") {
    net->set_mode(model::SupernetMode::Select);
  } else if (mode == "urs") {
    net->set_mode(model::SupernetMode::Urs);
    net->set_python_random(&python_random);
  } else if (mode == "dynamic" && argc > 6) {
    net->set_mode(model::SupernetMode::Dynamic);
    net->set_dynamic_arch(model::edge_ops_of(parse_topology(argv[6])));
  } else {
    std::cerr << "supernet_probe: unknown mode " << mode << "\n";
    return 2;
  }
  torch::manual_seed(seed);
  const auto [features, logits] = net->forward(x);
  const auto loss = torch::nn::functional::cross_entropy(logits, y);
  loss.backward();

  c10::Dict<std::string, at::Tensor> out;
  out.insert("logits", logits.detach());
  out.insert("features", features.detach());
  out.insert("loss", loss.detach());
  for (const auto& [name, tensor] : model::state_dict(*net)) {
    if (tensor.requires_grad()) {
      out.insert("grad." + name,
                 tensor.grad().defined() ? tensor.grad() : torch::zeros_like(tensor));
    }
  }
  const auto bytes = torch::pickle_save(c10::IValue(out));
  std::ofstream(argv[5], std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return 0;
}
