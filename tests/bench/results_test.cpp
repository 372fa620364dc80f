#include <catch2/catch.hpp>

#include "natsbench/bench/results.h"

using namespace natsbench::bench;

TEST_CASE("EpochSeries keeps keys, order and values, compactly", "[bench][results]") {
  EpochSeries dense;
  for (int e = 0; e < 5; ++e) dense.push(e, 0.5 * e);
  dense.compact();
  CHECK(dense.size() == 5);
  CHECK(*dense.find(3) == 1.5);
  CHECK_FALSE(dense.find(5));
  CHECK_FALSE(dense.find(-1));

  EpochSeries constant;
  for (int e = 0; e < 200; ++e) constant.push(e, 7.25);
  constant.compact();
  CHECK(constant.size() == 200);
  CHECK(*constant.find(199) == 7.25);
  CHECK(constant.key_at(42) == 42);

  EpochSeries sparse;
  sparse.push(199, 1.0);
  sparse.push(3, 2.0);
  sparse.compact();
  CHECK(sparse.key_at(0) == 199);
  CHECK(*sparse.find(3) == 2.0);
  CHECK_FALSE(sparse.find(0));
  CHECK_FALSE(sparse == dense);

  EpochSeries zeros, negative_zeros;
  zeros.push(0, 0.0);
  negative_zeros.push(0, -0.0);
  CHECK_FALSE(zeros == negative_zeros);  // compared bit for bit
}

TEST_CASE("EvalSeries groups by eval set and replays insertion order", "[bench][results]") {
  EvalSeries eval;
  eval.push("x-valid", 0, 1.0);
  eval.push("ori-test", 0, 2.0);
  eval.push("x-valid", 1, 3.0);
  eval.push("ori-test", 199, 4.0);
  eval.compact();
  CHECK(*eval.find("x-valid", 1) == 3.0);
  CHECK(*eval.find("ori-test", 199) == 4.0);
  CHECK_FALSE(eval.find("ori-test", 1));
  CHECK_FALSE(eval.find("x-test", 0));
  const auto entries = eval.entries();
  REQUIRE(entries.size() == 4);
  CHECK(*entries[1].set == "ori-test");
  CHECK(entries[2].epoch == 1);
  CHECK(entries[3].value == 4.0);
}
