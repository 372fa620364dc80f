#include <catch2/catch.hpp>
#include <numeric>
#include <vector>

#include "natsbench/space/cpython_random.h"

using natsbench::CPythonRandom;

TEST_CASE("seed 88 gives CPython's first ten getrandbits(32) outputs", "[space][random]") {
  CPythonRandom rng(88);
  const std::vector<std::uint32_t> expected = {1707201716u, 4182107318u, 813946014u,  1429399738u,
                                               3875947387u, 794486615u,  2686662532u, 61898650u,
                                               2262038489u, 3300427655u};
  for (auto value : expected) CHECK(rng.next_uint32() == value);
}

TEST_CASE("getrandbits(k) keeps the top k bits of one output", "[space][random]") {
  CPythonRandom a(88), b(88);
  CHECK(a.getrandbits(14) == (b.next_uint32() >> 18));
  CHECK(a.getrandbits(32) == b.next_uint32());
  CHECK_THROWS(a.getrandbits(0));
  CHECK_THROWS(a.getrandbits(33));
}

TEST_CASE("shuffle of 15625 items matches the reference steps", "[space][random]") {
  // The first 8 (i, j) swaps of random.seed(88); random.shuffle(range(15625)).
  CPythonRandom rng(88);
  const std::vector<std::pair<std::uint32_t, std::uint32_t>> steps = {
      {15624, 6512}, {15623, 3104},  {15622, 5452}, {15621, 14785},
      {15620, 3030}, {15619, 10248}, {15618, 236},  {15617, 8628}};
  for (const auto& [i, j] : steps) CHECK(rng.randbelow(i + 1) == j);

  CPythonRandom full(88);
  std::vector<int> items(15625);
  std::iota(items.begin(), items.end(), 0);
  full.shuffle(items);
  CHECK(full.outputs_drawn() == 21874);  // 15624 calls plus the rejections
}

TEST_CASE("multi-limb seeds are accepted", "[space][random]") {
  // Seeds above 2^32 use a two-limb key; they must differ from the low limb alone.
  CPythonRandom big((std::uint64_t{1} << 32) + 88), small(88);
  CHECK(big.next_uint32() != small.next_uint32());
}
