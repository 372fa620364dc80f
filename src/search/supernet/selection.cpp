#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_set>

#include <torch/torch.h>

#include "natsbench/search/supernet_search.h"
#include "natsbench/util/error.h"

namespace natsbench::search {

namespace {
constexpr int kCells = 15625;  // 5^6
}

model::EdgeOps enumerated_cell(int position) {
  if (position < 0 || position >= kCells) throw Error("enumerated_cell: position out of range");
  model::EdgeOps ops{};
  for (int e = static_cast<int>(ops.size()) - 1; e >= 0; --e) {
    ops[e] = static_cast<Op>(position % kNumOps);
    position /= kNumOps;
  }
  return ops;
}

std::vector<float> log_probs(const torch::Tensor& alpha) {
  const auto table = torch::log_softmax(alpha.detach().to(torch::kCPU), -1).contiguous();
  const float* l = table.data_ptr<float>();
  std::vector<float> out(kCells);
  for (int position = 0; position < kCells; ++position) {
    const auto ops = enumerated_cell(position);
    // Python's sum(): 0 + l0 (= l0, with -0 as +0), then one float32 addition per edge.
    float total = l[static_cast<int>(ops[0])] + 0.0f;
    for (std::size_t e = 1; e < ops.size(); ++e) {
      total = total + l[e * kNumOps + static_cast<int>(ops[e])];
    }
    out[position] = total;
  }
  return out;
}

std::vector<model::EdgeOps> most_probable_cells(const torch::Tensor& alpha, int k) {
  const auto scores = log_probs(alpha);
  std::vector<int> order(kCells);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return scores[a] > scores[b]; });
  if (k < 0 || k > kCells) k = kCells;
  std::vector<model::EdgeOps> out;
  for (int i = 0; i < k; ++i) out.push_back(enumerated_cell(order[i]));
  return out;
}

std::vector<model::EdgeOps> random_cells(CPythonRandom& random, int k) {
  if (k < 0 || k > kCells) throw Error("random_cells: sample larger than the space");
  // CPython's random.sample: a pool for large samples, else rejection against a set.
  std::size_t setsize = 21;
  if (k > 5) {
    setsize +=
        static_cast<std::size_t>(std::pow(4.0, std::ceil(std::log(3.0 * k) / std::log(4.0))));
  }
  std::vector<model::EdgeOps> out;
  if (static_cast<std::size_t>(kCells) <= setsize) {
    std::vector<int> pool(kCells);
    std::iota(pool.begin(), pool.end(), 0);
    for (int i = 0; i < k; ++i) {
      const auto j = random.randbelow(static_cast<std::uint32_t>(kCells - i));
      out.push_back(enumerated_cell(pool[j]));
      pool[j] = pool[kCells - i - 1];
    }
    return out;
  }
  std::unordered_set<std::uint32_t> chosen;
  for (int i = 0; i < k; ++i) {
    auto j = random.randbelow(kCells);
    while (chosen.count(j) != 0) j = random.randbelow(kCells);
    chosen.insert(j);
    out.push_back(enumerated_cell(static_cast<int>(j)));
  }
  return out;
}

torch::Tensor batch_top1_tensor(const torch::Tensor& logits, const torch::Tensor& labels) {
  // obtain_accuracy(topk=(1, 5)), op for op.
  const auto k = std::min<std::int64_t>(5, logits.size(1));
  const auto predicted = std::get<1>(logits.topk(k, 1, true, true)).t();
  const auto correct =
      predicted.eq(labels.to(predicted.device()).view({1, -1}).expand_as(predicted));
  return correct.slice(0, 0, 1)
      .contiguous()
      .view(-1)
      .to(torch::kFloat)
      .sum(0, true)
      .mul_(100.0 / static_cast<double>(labels.size(0)));
}

float batch_top1(const torch::Tensor& logits, const torch::Tensor& labels) {
  return batch_top1_tensor(logits, labels).item<float>();
}

Selection select_best(model::TopologySupernetImpl& net,
                      const std::vector<model::EdgeOps>& candidates, ValidBatches& valid) {
  if (candidates.empty()) throw Error("select_best: no candidates");
  torch::NoGradGuard no_grad;
  net.eval();
  valid.start();
  Selection best;
  bool first = true;
  for (const auto& candidate : candidates) {
    net.set_mode(model::SupernetMode::Dynamic);
    net.set_dynamic_arch(candidate);
    auto batch = valid.next();
    if (!batch) {
      valid.start();
      batch = valid.next();
      if (!batch) throw Error("select_best: the valid loader is empty");
    }
    const auto logits = net.forward(batch->first).second;
    const float top1 = batch_top1(logits, batch->second);
    if (first || top1 > best.top1) best = {candidate, top1};
    first = false;
  }
  return best;
}

}  // namespace natsbench::search
