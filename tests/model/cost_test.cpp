#include <catch2/catch.hpp>

#include "natsbench/data/registry.h"
#include "natsbench/model/cost.h"
#include "natsbench/model/state_dict.h"

using namespace natsbench;

namespace {
struct CostRow {
  const char* space;
  int index;
  const char* dataset;
  double params;  // millions, exactly the reference float
  double flops;   // millions, exactly the reference float
  int param_tensors;
  std::int64_t param_count;
  int state_dict_entries;
};

// docs/networks.md §6.1 (tss) and §6.2 (sss): reference get_model_infos values.
const CostRow kRows[] = {
    {"tss", 0, "cifar10", 0.129306, 15.64737, 111, 129306, 219},
    {"tss", 0, "cifar100", 0.135156, 15.65322, 111, 135156, 219},
    {"tss", 0, "ImageNet16-120", 0.136456, 3.91948, 111, 136456, 219},
    {"tss", 1, "cifar10", 0.802426, 113.95137, 156, 802426, 309},
    {"tss", 1, "cifar100", 0.808276, 113.95722, 156, 808276, 309},
    {"tss", 1, "ImageNet16-120", 0.809576, 28.49548, 156, 809576, 309},
    {"tss", 9, "cifar10", 0.316346, 43.17249, 66, 316346, 129},
    {"tss", 9, "cifar100", 0.322196, 43.17834, 66, 322196, 129},
    {"tss", 9, "ImageNet16-120", 0.323496, 10.80076, 66, 323496, 129},
    {"tss", 11, "cifar10", 0.802426, 113.95137, 156, 802426, 309},
    {"tss", 11, "cifar100", 0.808276, 113.95722, 156, 808276, 309},
    {"tss", 11, "ImageNet16-120", 0.809576, 28.49548, 156, 809576, 309},
    {"tss", 123, "cifar10", 0.344346, 47.10465, 111, 344346, 219},
    {"tss", 123, "cifar100", 0.350196, 47.1105, 111, 350196, 219},
    {"tss", 123, "ImageNet16-120", 0.351496, 11.7838, 111, 351496, 219},
    {"tss", 284, "cifar10", 0.101306, 11.71521, 66, 101306, 129},
    {"tss", 284, "cifar100", 0.107156, 11.72106, 66, 107156, 129},
    {"tss", 284, "ImageNet16-120", 0.108456, 2.93644, 66, 108456, 129},
    {"tss", 100, "cifar10", 0.802426, 113.95137, 156, 802426, 309},
    {"tss", 100, "cifar100", 0.808276, 113.95722, 156, 808276, 309},
    {"tss", 100, "ImageNet16-120", 0.809576, 28.49548, 156, 809576, 309},
    {"tss", 1000, "cifar10", 0.587386, 82.49409, 156, 587386, 309},
    {"tss", 1000, "cifar100", 0.593236, 82.49994, 156, 593236, 309},
    {"tss", 1000, "ImageNet16-120", 0.594536, 20.63116, 156, 594536, 309},
    {"tss", 5000, "cifar10", 0.830426, 117.88353, 201, 830426, 399},
    {"tss", 5000, "cifar100", 0.836276, 117.88938, 201, 836276, 399},
    {"tss", 5000, "ImageNet16-120", 0.837576, 29.47852, 201, 837576, 399},
    {"tss", 10000, "cifar10", 0.858426, 121.81569, 246, 858426, 489},
    {"tss", 10000, "cifar100", 0.864276, 121.82154, 246, 864276, 489},
    {"tss", 10000, "ImageNet16-120", 0.865576, 30.46156, 246, 865576, 489},
    {"tss", 15624, "cifar10", 0.185306, 23.51169, 201, 185306, 399},
    {"tss", 15624, "cifar100", 0.191156, 23.51754, 201, 191156, 399},
    {"tss", 15624, "ImageNet16-120", 0.192456, 5.88556, 201, 192456, 399},
    {"tss", 1651, "cifar10", 0.073306, 7.78305, 21, 73306, 39},
    {"tss", 1651, "cifar100", 0.079156, 7.7889, 21, 79156, 39},
    {"tss", 1651, "ImageNet16-120", 0.080456, 1.9534, 21, 80456, 39},
    {"tss", 1835, "cifar10", 0.073306, 7.78305, 21, 73306, 39},
    {"tss", 1835, "cifar100", 0.079156, 7.7889, 21, 79156, 39},
    {"tss", 1835, "ImageNet16-120", 0.080456, 1.9534, 21, 80456, 39},
    {"tss", 4317, "cifar10", 0.241306, 31.37601, 291, 241306, 579},
    {"tss", 4317, "cifar100", 0.247156, 31.38186, 291, 247156, 579},
    {"tss", 4317, "ImageNet16-120", 0.248456, 7.85164, 291, 248456, 579},
    {"tss", 1462, "cifar10", 1.531546, 220.11969, 291, 1531546, 579},
    {"tss", 1462, "cifar100", 1.537396, 220.12554, 291, 1537396, 579},
    {"tss", 1462, "ImageNet16-120", 1.538696, 55.03756, 291, 1538696, 579},
    {"tss", 7581, "cifar10", 0.073306, 7.78305, 21, 73306, 39},
    {"tss", 7581, "cifar100", 0.079156, 7.7889, 21, 79156, 39},
    {"tss", 7581, "ImageNet16-120", 0.080456, 1.9534, 21, 80456, 39},
    {"tss", 1601, "cifar10", 0.559386, 78.56193, 111, 559386, 219},
    {"tss", 1601, "cifar100", 0.565236, 78.56778, 111, 565236, 219},
    {"tss", 1601, "ImageNet16-120", 0.566536, 19.64812, 111, 566536, 219},
    {"tss", 9930, "cifar10", 1.288506, 184.73025, 246, 1288506, 489},
    {"tss", 9930, "cifar100", 1.294356, 184.7361, 246, 1294356, 489},
    {"tss", 9930, "ImageNet16-120", 1.295656, 46.1902, 246, 1295656, 489},
    {"sss", 0, "cifar10", 0.011714, 4.481114, 66, 11714, 129},
    {"sss", 0, "cifar100", 0.012524, 4.481924, 66, 12524, 129},
    {"sss", 0, "ImageNet16-120", 0.012704, 1.121336, 66, 12704, 129},
    {"sss", 11, "cifar10", 0.049202, 6.84065, 69, 49202, 135},
    {"sss", 11, "cifar100", 0.052172, 6.84362, 69, 52172, 135},
    {"sss", 11, "ImageNet16-120", 0.052832, 1.71404, 69, 52832, 135},
    {"sss", 284, "cifar10", 0.144834, 21.827994, 72, 144834, 141},
    {"sss", 284, "cifar100", 0.148524, 21.831684, 72, 148524, 141},
    {"sss", 284, "ImageNet16-120", 0.149344, 5.461816, 72, 149344, 141},
    {"sss", 32767, "cifar10", 0.713674, 274.399882, 66, 713674, 129},
    {"sss", 32767, "cifar100", 0.719524, 274.405732, 66, 719524, 129},
    {"sss", 32767, "ImageNet16-120", 0.720824, 68.607608, 66, 720824, 129},
    {"sss", 5816, "cifar10", 0.121178, 27.701338, 72, 121178, 141},
    {"sss", 5816, "cifar100", 0.121988, 27.702148, 72, 121988, 141},
    {"sss", 5816, "ImageNet16-120", 0.122168, 6.926392, 72, 122168, 141},
    {"sss", 29127, "cifar10", 0.441226, 230.838922, 72, 441226, 141},
    {"sss", 29127, "cifar100", 0.447076, 230.844772, 72, 447076, 141},
    {"sss", 29127, "ImageNet16-120", 0.448376, 57.717368, 72, 448376, 141},
    {"sss", 3640, "cifar10", 0.110882, 20.271194, 72, 110882, 141},
    {"sss", 3640, "cifar100", 0.111692, 20.272004, 72, 111692, 141},
    {"sss", 3640, "ImageNet16-120", 0.111872, 5.068856, 72, 111872, 141},
    {"sss", 14043, "cifar10", 0.17969, 69.042506, 66, 179690, 129},
    {"sss", 14043, "cifar100", 0.18266, 69.045476, 66, 182660, 129},
    {"sss", 14043, "ImageNet16-120", 0.18332, 17.264504, 66, 183320, 129},
    {"sss", 1000, "cifar10", 0.19853, 41.250906, 72, 198530, 141},
    {"sss", 1000, "cifar100", 0.19934, 41.251716, 72, 199340, 141},
    {"sss", 1000, "ImageNet16-120", 0.19952, 10.313784, 72, 199520, 141},
    {"sss", 12345, "cifar10", 0.122458, 53.98545, 69, 122458, 135},
    {"sss", 12345, "cifar100", 0.123988, 53.98698, 69, 123988, 135},
    {"sss", 12345, "ImageNet16-120", 0.124328, 13.49836, 69, 124328, 135},
    {"sss", 20000, "cifar10", 0.173602, 95.383642, 72, 173602, 141},
    {"sss", 20000, "cifar100", 0.174412, 95.384452, 72, 174412, 141},
    {"sss", 20000, "ImageNet16-120", 0.174592, 23.846968, 72, 174592, 141},
    {"sss", 30000, "cifar10", 0.330666, 215.396442, 72, 330666, 141},
    {"sss", 30000, "cifar100", 0.331476, 215.397252, 72, 331476, 141},
    {"sss", 30000, "ImageNet16-120", 0.331656, 53.850168, 72, 331656, 141},
};
}  // namespace

TEST_CASE("params and FLOPs counted on the built network equal the reference exactly",
          "[model][cost]") {
  for (const auto& row : kRows) {
    INFO(row.space << " " << row.index << " " << row.dataset);
    const ArchConfig arch = arch_from_index(parse_space(row.space), row.index);
    auto network = model::make_network(arch, data::dataset(row.dataset).num_classes);
    const model::Cost cost = model::count_cost(network, data::dataset(row.dataset).side);
    CHECK(cost.param_count == row.param_count);
    CHECK(cost.params() == row.params);  // exact: both are integer / 1e6
    CHECK(cost.flops() == row.flops);
    CHECK(network->parameters().size() == static_cast<std::size_t>(row.param_tensors));
    CHECK(model::state_dict(*network).size() == static_cast<std::size_t>(row.state_dict_entries));
  }
}

TEST_CASE("cifar10-valid uses the cifar10 network and costs", "[model][cost]") {
  const ArchConfig arch = arch_from_index(Space::Topology, 11);
  const auto a = model::count_cost(arch, data::dataset("cifar10-valid"));
  const auto b = model::count_cost(arch, data::dataset("cifar10"));
  CHECK(a.flop_count == b.flop_count);
  CHECK(a.param_count == b.param_count);
}

TEST_CASE("tss costs follow the closed form of docs/networks.md §4.2 over the whole space",
          "[model][cost]") {
  // Every 97th architecture (161 cells), all three input shapes.
  for (int index = 0; index < 15625; index += 97) {
    const ArchConfig arch = arch_from_index(Space::Topology, index);
    const std::int64_t n1 = count_op(arch.genotype, Op::NorConv1x1);
    const std::int64_t n3 = count_op(arch.genotype, Op::NorConv3x3);
    for (const char* name : {"cifar10", "cifar100", "ImageNet16-120"}) {
      const auto& dataset = data::dataset(name);
      const std::int64_t nc = dataset.num_classes;
      const std::int64_t body = 7782400 + 35389440 * n3 + 3932160 * n1;
      const std::int64_t flops = (dataset.side == 32 ? body : body / 4) + 65 * nc;
      const std::int64_t params = 72656 + 65 * nc + 243040 * n3 + 28000 * n1;
      const auto cost = model::count_cost(arch, dataset);
      INFO(index << " " << name);
      CHECK(cost.flop_count == flops);
      CHECK(cost.param_count == params);
    }
  }
}

TEST_CASE("count_cost restores the training mode", "[model][cost]") {
  auto network = model::make_network(arch_from_index(Space::Size, 0), 10);
  network->train();
  model::count_cost(network, 32);
  CHECK(network->is_training());
}
