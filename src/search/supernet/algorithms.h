#pragma once
// The factories of the weight-sharing algorithms, one file each; registry.cpp lists them.
#include <memory>

#include "natsbench/search/supernet_search.h"

namespace natsbench::search {

std::unique_ptr<SupernetAlgorithm> make_darts_v1();
std::unique_ptr<SupernetAlgorithm> make_darts_v2();
std::unique_ptr<SupernetAlgorithm> make_gdas();
std::unique_ptr<SupernetAlgorithm> make_setn();
std::unique_ptr<SupernetAlgorithm> make_rsps();
std::unique_ptr<SupernetAlgorithm> make_enas();

// The cross-entropy loss (mean) of a forward of `images`, and the logits.
HalfStep forward_loss(model::TopologySupernetImpl& net, const torch::Tensor& images,
                      const torch::Tensor& labels);
// Forward, backward and an Adam step on the arch half: the arch step of DARTS-V1, GDAS, SETN.
HalfStep arch_gradient_step(SupernetState& state, const PairBatch& batch);

}  // namespace natsbench::search
