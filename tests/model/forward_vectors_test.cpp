// Forward-pass test vectors of docs/networks.md §6.3: deterministic integer-formula weights and
// inputs, float64 reference values. Checked in float64 (tight) and float32 (the bound of
// docs/networks.md §6.3).
#include <catch2/catch.hpp>
#include <cmath>

#include <torch/torch.h>

#include "natsbench/data/registry.h"
#include "natsbench/model/network.h"
#include "natsbench/model/state_dict.h"

using namespace natsbench;

namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// u(t, k) = (((37k + 101t) mod 61) - 30) / 30 for every element k of state-dict entry t.
void fill_pattern(model::CellNetwork& network) {
  torch::NoGradGuard no_grad;
  std::int64_t t = 0;
  for (auto& [name, tensor] : model::state_dict(*network)) {
    const auto k = torch::arange(tensor.numel(), torch::kInt64);
    const auto u = ((37 * k + 101 * t).remainder(61) - 30).to(torch::kFloat64) / 30.0;
    torch::Tensor value;
    if (ends_with(name, "num_batches_tracked")) {
      value = torch::zeros_like(u);
    } else if (ends_with(name, "running_mean")) {
      value = 0.1 * u;
    } else if (ends_with(name, "running_var")) {
      value = 1 + 0.5 * u;
    } else if (name == "classifier.weight") {
      value = u / std::sqrt(static_cast<double>(tensor.size(1)));
    } else if (name == "classifier.bias") {
      value = 0.1 * u;
    } else if (tensor.dim() == 4) {
      const double fan_in = tensor.size(1) * tensor.size(2) * tensor.size(3);
      value = u * std::sqrt(6.0 / fan_in);
    } else if (ends_with(name, "weight")) {
      value = 1 + 0.25 * u;
    } else {
      value = 0.1 * u;  // BN bias
    }
    tensor.copy_(value.view(tensor.sizes()));
    ++t;
  }
}

torch::Tensor pattern_input(int size, torch::Dtype dtype) {
  const auto i = torch::arange(2 * 3 * size * size, torch::kInt64);
  return ((29 * i).remainder(53) - 26)
      .to(torch::kFloat64)
      .div(26.0)
      .view({2, 3, size, size})
      .to(dtype);
}

struct Vector {
  const char* space;
  int index;
  const char* dataset;
  bool train;
  double logits0[3], logits1[3];
  double sum_logits, sum_abs_logits, sum_features;
  int feature_width;
  // After a train-mode forward (0 when not given).
  double stem_mean_sum = 0, stem_var_sum = 0, lastact_var_sum = 0;
};

const Vector kVectors[] = {
    {"tss",
     0,
     "cifar10",
     false,
     {-916479.082, 787540.423, 272224.699},
     {-923737.355, 805198.59, 279939.19},
     -802152.54,
     11166555.9,
     155845588,
     64},
    {"tss",
     9,
     "cifar10",
     false,
     {-0.381364628, -0.246197786, -1.02444674},
     {-0.38522491, -0.253568471, -1.03581408},
     -1.57114128,
     10.6973602,
     76.4082703,
     64},
    {"tss",
     11,
     "cifar10",
     false,
     {-0.012151856, -0.475455272, -0.257251204},
     {-0.0124242406, -0.474865584, -0.255241163},
     -0.435722022,
     5.77655958,
     16.8068992,
     64},
    {"tss",
     284,
     "cifar10",
     false,
     {-0.14714167, -0.0941875739, -0.465938484},
     {-0.150233869, -0.100079217, -0.472013554},
     -0.114895516,
     4.32192414,
     29.1689427,
     64},
    {"tss",
     1651,
     "cifar10",
     false,
     {-0.0292049641, -0.0439838179, -0.0484646067},
     {-0.0292049641, -0.0439838179, -0.0484646067},
     0.259884658,
     1.38975143,
     5.9030991,
     64},
    {"tss",
     1835,
     "cifar10",
     false,
     {107570755, -27755099.4, -40871689.3},
     {105399653, -13649430.4, -47817319.9},
     226346508,
     1.11393233e+09,
     2.95203362e+10,
     64},
    {"tss",
     1462,
     "cifar10",
     false,
     {-0.177224034, -0.46929, -0.461717169},
     {-0.189102289, -0.479372563, -0.435517373},
     -1.07236773,
     6.55829653,
     55.9695983,
     64},
    {"sss",
     0,
     "cifar10",
     false,
     {0.334449579, -0.146441259, -0.412631394},
     {0.319857332, -0.148283678, -0.393825303},
     0.323554185,
     7.64256631,
     9.04798971,
     8},
    {"sss",
     5816,
     "cifar10",
     false,
     {-0.613273629, -1.97717651, 0.400512542},
     {-0.636551744, -1.97989806, 0.4590402},
     -5.28503971,
     14.6284781,
     24.0156958,
     8},
    {"sss",
     32767,
     "cifar10",
     false,
     {-0.300477751, -0.344818489, -1.10072333},
     {-0.312505155, -0.347963263, -1.09001585},
     -1.83453021,
     14.0878519,
     219.04845,
     64},
    {"tss",
     11,
     "ImageNet16-120",
     false,
     {-0.0116555786, -0.471800254, -0.270881168},
     {-0.0114540399, -0.471875966, -0.270528948},
     -1.57136085,
     65.5227459,
     16.6215562,
     64},
    {"sss",
     5816,
     "ImageNet16-120",
     false,
     {-0.274076277, -1.29893677, 0.512009522},
     {-0.135147271, -1.13918144, 0.433780784},
     0.597643842,
     131.582449,
     17.6201079,
     8},
    {"tss",
     11,
     "cifar10",
     true,
     {-0.00134127566, 0.0664815129, 0.0746341873},
     {0.0351617753, 0.0400195803, 0.0687050228},
     0.375590635,
     1.85279455,
     50.9440813,
     64,
     -0.111126952,
     14.8252711,
     64.0210344},
    {"tss",
     9,
     "cifar10",
     true,
     {0.023305952, 0.0204621971, 0.0565595266},
     {0.00536836225, 0.0595598529, 0.0599544699},
     0.692029259,
     1.16794821,
     51.121104,
     64,
     -0.111126952,
     14.8252711,
     68.0350914},
    {"sss",
     5816,
     "cifar10",
     true,
     {0.0578964374, -0.383471506, -0.0620310768},
     {0.100240326, -0.277506327, -0.0402587677},
     -0.690039589,
     2.37003851,
     6.21419201,
     8,
     -0.111126952,
     14.8252711,
     10.1523662},
    {"sss",
     0,
     "ImageNet16-120",
     true,
     {0.199756593, 0.0757017922, 0.00423050699},
     {0.154465184, 0.120735081, -0.131640657},
     0.587737803,
     27.0995229,
     5.92100049,
     8,
     -0.0379680944,
     7.64536717,
     11.1811642},
};

double sum_of(const model::NamedTensors& entries, const std::string& name) {
  for (const auto& [key, tensor] : entries) {
    if (key == name) return tensor.to(torch::kFloat64).sum().item<double>();
  }
  FAIL("no entry " << name);
  return 0;
}

void check_vector(const Vector& v, torch::Dtype dtype, double tolerance) {
  INFO(v.space << " " << v.index << " " << v.dataset << (v.train ? " train" : " eval")
               << (dtype == torch::kFloat64 ? " float64" : " float32"));
  const auto& dataset = data::dataset(v.dataset);
  auto network =
      model::make_network(arch_from_index(parse_space(v.space), v.index), dataset.num_classes);
  network->to(dtype);  // before the fill, so float64 weights are not float32-rounded
  fill_pattern(network);
  network->train(v.train);
  torch::NoGradGuard no_grad;
  auto [features, logits] = network->forward(pattern_input(dataset.side, dtype));
  features = features.to(torch::kFloat64);
  logits = logits.to(torch::kFloat64);
  REQUIRE(features.sizes() == torch::IntArrayRef({2, v.feature_width}));
  REQUIRE(logits.sizes() == torch::IntArrayRef({2, dataset.num_classes}));

  // Logit errors are measured against the largest logit, as docs/networks.md §6.3 does.
  const double scale = logits.abs().max().item<double>();
  for (int j = 0; j < 3; ++j) {
    CHECK(std::abs(logits[0][j].item<double>() - v.logits0[j]) <= tolerance * scale);
    CHECK(std::abs(logits[1][j].item<double>() - v.logits1[j]) <= tolerance * scale);
  }
  CHECK(std::abs(logits.sum().item<double>() - v.sum_logits) <= tolerance * scale);
  CHECK(logits.abs().sum().item<double>() == Approx(v.sum_abs_logits).epsilon(tolerance));
  CHECK(features.sum().item<double>() == Approx(v.sum_features).epsilon(tolerance));
  if (v.train) {
    const auto entries = model::state_dict(*network);
    CHECK(sum_of(entries, "stem.1.running_mean") == Approx(v.stem_mean_sum).epsilon(tolerance));
    CHECK(sum_of(entries, "stem.1.running_var") == Approx(v.stem_var_sum).epsilon(tolerance));
    CHECK(sum_of(entries, "lastact.0.running_var") == Approx(v.lastact_var_sum).epsilon(tolerance));
    CHECK(sum_of(entries, "lastact.0.num_batches_tracked") == 1);
  }
}

}  // namespace

TEST_CASE("pattern fill reproduces the sanity values of docs/networks.md §6.3",
          "[model][forward]") {
  auto network = model::make_network(arch_from_index(Space::Topology, 11), 10);
  network->to(torch::kFloat64);
  fill_pattern(network);
  const auto entries = model::state_dict(*network);
  const auto first = [&](int t) { return entries.at(t).second.flatten().slice(0, 0, 4); };
  CHECK(entries.at(6).first == "cells.0.layers.0.op.1.weight");
  const double stem[] = {-0.471404521, 0.109994388, -0.267129228, 0.314269681};
  const double bn[] = {1.08333333, 0.883333333, 1.19166667, 0.991666667};
  const double conv[] = {0.183711731, 0.0204124145, -0.142886902, 0.108866211};
  for (int k = 0; k < 4; ++k) {
    CHECK(first(0)[k].item<double>() == Approx(stem[k]).epsilon(1e-8));
    CHECK(first(1)[k].item<double>() == Approx(bn[k]).epsilon(1e-8));
    CHECK(first(6)[k].item<double>() == Approx(conv[k]).epsilon(1e-8));
  }
  const auto x = pattern_input(32, torch::kFloat64);
  CHECK(x.sum().item<double>() == Approx(-1.15384615).epsilon(1e-8));
  CHECK(x.abs().sum().item<double>() == Approx(3130.15385).epsilon(1e-8));
}

TEST_CASE("forward vectors in float64 match the reference to print precision", "[model][forward]") {
  for (const auto& v : kVectors) check_vector(v, torch::kFloat64, 2e-7);
}

TEST_CASE("forward vectors in float32 match within the tolerance of docs/networks.md §6.3",
          "[model][forward]") {
  for (const auto& v : kVectors) check_vector(v, torch::kFloat32, 1e-4);
}
