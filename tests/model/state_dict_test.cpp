#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>

#include <torch/torch.h>

#include "natsbench/model/network.h"
#include "natsbench/model/state_dict.h"
#include "natsbench/util/error.h"

using namespace natsbench;

namespace {
std::vector<std::string> names(const model::NamedTensors& entries) {
  std::vector<std::string> out;
  for (const auto& entry : entries) out.push_back(entry.first);
  return out;
}
}  // namespace

TEST_CASE("tss state dict keys follow the reference order", "[model][state_dict]") {
  auto network = model::make_network(arch_from_index(Space::Topology, 11), 10);
  const auto keys = names(model::state_dict(*network));
  const std::vector<std::string> head = {"stem.0.weight",
                                         "stem.1.weight",
                                         "stem.1.bias",
                                         "stem.1.running_mean",
                                         "stem.1.running_var",
                                         "stem.1.num_batches_tracked",
                                         "cells.0.layers.0.op.1.weight",
                                         "cells.0.layers.0.op.2.weight",
                                         "cells.0.layers.0.op.2.bias",
                                         "cells.0.layers.0.op.2.running_mean",
                                         "cells.0.layers.0.op.2.running_var",
                                         "cells.0.layers.0.op.2.num_batches_tracked",
                                         "cells.0.layers.1.op.1.weight"};
  REQUIRE(keys.size() == 309);
  CHECK(std::vector<std::string>(keys.begin(), keys.begin() + head.size()) == head);
  // Layers 2, 3, 5 of arch 11 (avg_pool, none, avg_pool) own nothing; layer 4 follows layer 1.
  const auto pos = [&](const std::string& key) {
    return std::find(keys.begin(), keys.end(), key) - keys.begin();
  };
  CHECK(pos("cells.0.layers.4.op.1.weight") ==
        pos("cells.0.layers.1.op.2.num_batches_tracked") + 1);
  CHECK(pos("cells.1.layers.0.op.1.weight") ==
        pos("cells.0.layers.4.op.2.num_batches_tracked") + 1);
  for (const char* key :
       {"cells.5.conv_a.op.1.weight", "cells.5.conv_b.op.2.running_var",
        "cells.5.downsample.1.weight", "cells.11.downsample.1.weight",
        "lastact.0.num_batches_tracked", "classifier.weight", "classifier.bias"}) {
    CHECK(pos(key) < static_cast<long>(keys.size()));
  }
  CHECK(keys.back() == "classifier.bias");
  CHECK(pos("cells.5.downsample.1.weight") == pos("cells.5.conv_b.op.2.num_batches_tracked") + 1);
}

TEST_CASE("sss state dict: FactorizedReduce where widths change", "[model][state_dict]") {
  auto network = model::make_network(arch_from_index(Space::Size, 284), 10);  // 8:8:40:32:40
  const auto entries = model::state_dict(*network);
  REQUIRE(entries.size() == 141);
  std::map<std::string, torch::Tensor> by_name(entries.begin(), entries.end());
  CHECK(by_name.at("cells.2.layers.3.conv.weight").sizes() == torch::IntArrayRef({40, 8, 1, 1}));
  CHECK(by_name.at("cells.2.layers.3.bn.running_mean").sizes() == torch::IntArrayRef({40}));
  CHECK(by_name.at("cells.4.layers.3.conv.weight").sizes() == torch::IntArrayRef({40, 32, 1, 1}));
  CHECK(by_name.at("cells.2.layers.0.op.1.weight").sizes() == torch::IntArrayRef({40, 8, 3, 3}));
  CHECK(by_name.at("cells.2.layers.2.op.1.weight").sizes() == torch::IntArrayRef({40, 40, 3, 3}));
  CHECK(by_name.at("cells.1.conv_a.op.1.weight").sizes() == torch::IntArrayRef({8, 8, 3, 3}));
  CHECK(by_name.at("classifier.weight").sizes() == torch::IntArrayRef({10, 40}));
  CHECK(by_name.count("cells.0.layers.3.conv.weight") == 0);  // equal widths: identity
}

TEST_CASE("initial weights depend only on the seed and follow the draw order",
          "[model][state_dict]") {
  torch::manual_seed(777);
  auto a = model::make_network(arch_from_index(Space::Topology, 11), 10);
  torch::manual_seed(777);
  auto b = model::make_network(arch_from_index(Space::Topology, 11), 10);
  const auto ea = model::state_dict(*a), eb = model::state_dict(*b);
  for (std::size_t i = 0; i < ea.size(); ++i) CHECK(torch::equal(ea[i].second, eb[i].second));
  // Spec §6.4 (PyTorch 1.13 on CPU; holds for the same ATen version only).
  if (TORCH_VERSION_MAJOR == 1 && TORCH_VERSION_MINOR == 13) {
    const auto stem = ea[0].second.flatten();
    CHECK(stem[0].item<float>() == -0.1609208732843399f);
    CHECK(stem[1].item<float>() == -0.00341119896620512f);
    CHECK(stem.sum().item<float>() == 3.345783233642578f);
    double total = 0;
    for (const auto& p : a->parameters()) total += p.to(torch::kFloat64).sum().item<double>();
    CHECK(total == Approx(1982.1788219082694).epsilon(1e-12));
  }
}

TEST_CASE("weights round-trip through a torch.load-compatible file", "[model][state_dict]") {
  const auto path =
      (std::filesystem::temp_directory_path() / "natsbench_state_dict_test.pt").string();
  torch::manual_seed(1);
  auto source = model::make_network(arch_from_index(Space::Size, 11), 100);
  model::save_state_dict(*source, path);
  torch::manual_seed(2);
  auto target = model::make_network(arch_from_index(Space::Size, 11), 100);
  model::load_state_dict(*target, path);
  const auto es = model::state_dict(*source), et = model::state_dict(*target);
  for (std::size_t i = 0; i < es.size(); ++i) CHECK(torch::equal(es[i].second, et[i].second));

  auto other = model::make_network(arch_from_index(Space::Size, 12), 100);
  const auto before = model::state_dict(*other);
  std::vector<torch::Tensor> copies;
  for (const auto& entry : before) copies.push_back(entry.second.clone());
  CHECK_THROWS_AS(model::load_state_dict(*other, path), Error);
  for (std::size_t i = 0; i < copies.size(); ++i) {
    CHECK(torch::equal(copies[i], before[i].second));  // a failed load changes nothing
  }
  CHECK_THROWS_AS(model::load_state_dict(*target, path + ".missing"), Error);
  std::remove(path.c_str());
}
