// Candidates and selection of the weight-sharing algorithms (spec §3.4). The trained-alpha
// cases are compared with the reference in compare_supernet_steps_with_reference.py; these pin
// the enumeration order, ties and the accuracy arithmetic.
#include <torch/torch.h>
#include <catch2/catch.hpp>

#include "natsbench/search/supernet_search.h"

using namespace natsbench;
using search::enumerated_cell;

TEST_CASE("enumeration: mixed radix, edge 1<-0 most significant") {
  CHECK(enumerated_cell(0) == model::EdgeOps{});
  const model::EdgeOps second{Op::None, Op::None, Op::None, Op::None, Op::None, Op::SkipConnect};
  CHECK(enumerated_cell(1) == second);
  const model::EdgeOps sixth{Op::None, Op::None, Op::None, Op::None, Op::SkipConnect, Op::None};
  CHECK(enumerated_cell(5) == sixth);
  CHECK(enumerated_cell(15624)[0] == Op::AvgPool3x3);
  CHECK_THROWS(enumerated_cell(15625));
}

TEST_CASE("most probable cells: descending log-prob, ties in enumeration order") {
  // Uniform alpha: every cell ties, so the order is the enumeration's.
  const auto uniform = search::most_probable_cells(torch::zeros({6, 5}), 7);
  for (int i = 0; i < 7; ++i) CHECK(uniform[i] == enumerated_cell(i));
  // One op favoured on every edge: the all-conv3x3 cell first, then the cells that differ on
  // one edge, their ties in enumeration order (edge 1<-0 changed to none first).
  auto alpha = torch::zeros({6, 5});
  alpha.index_put_({torch::indexing::Slice(), 3}, 2.0);
  const auto ranked = search::most_probable_cells(alpha, 3);
  model::EdgeOps best;
  best.fill(Op::NorConv3x3);
  CHECK(ranked[0] == best);
  auto next = best;
  next[0] = Op::None;
  CHECK(ranked[1] == next);
  next[0] = Op::SkipConnect;
  CHECK(ranked[2] == next);
}

TEST_CASE("random cells: distinct, as random.sample draws them") {
  CPythonRandom a(777), b(777);
  const auto cells = search::random_cells(a, 100);
  CHECK(cells.size() == 100);
  for (std::size_t i = 0; i < cells.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) CHECK_FALSE(cells[i] == cells[j]);
  }
  // One cell = one _randbelow(15625) (14 bits, rejections allowed).
  const auto one = search::random_cells(b, 1).front();
  CHECK(one == cells.front());
}

TEST_CASE("batch top-1 in percent, as float(correct) * float(100 / batch)") {
  const auto logits = torch::tensor({{0.f, 1.f, 2.f}, {3.f, 1.f, 0.f}, {0.f, 5.f, 1.f}});
  CHECK(search::batch_top1(logits, torch::tensor({2, 0, 0})) ==
        2.0f * static_cast<float>(100.0 / 3));
  CHECK(search::cosine_lr({}, 0, 100) == 0.025);
  CHECK(search::cosine_lr({}, 99, 100) == Approx(0.001006).epsilon(1e-3));
}
