#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "natsbench/space/topology.h"
#include "natsbench/space/topology_helpers.h"

using namespace natsbench;

namespace {
Genotype tss(int index) {
  return TopologySpace::get().genotype(index);
}
}  // namespace

TEST_CASE("unique strings of the examples of docs/networks.md §1.6", "[space][tss][helpers]") {
  CHECK(unique_string(tss(0)) ==
        "(0)@avg_pool_3x3+(0)@avg_pool_3x3+(0)@nor_conv_1x1+(0)@nor_conv_1x1");
  CHECK(unique_string(tss(1)) ==
        "((0)@nor_conv_3x3)@avg_pool_3x3+(0)@nor_conv_3x3+((0)@nor_conv_3x3)@nor_conv_3x3+0");
  CHECK(unique_string(tss(9)) == "#+(#+#)@nor_conv_3x3+0");
  CHECK(unique_string(tss(11)) ==
        "#+(((0)@nor_conv_3x3)@avg_pool_3x3+(0)@nor_conv_3x3)@avg_pool_3x3+((0)@nor_conv_3x3)@"
        "nor_conv_3x3");
  CHECK(unique_string(tss(123)) ==
        "#+(((0)@avg_pool_3x3)@nor_conv_1x1+(0)@avg_pool_3x3)@nor_conv_3x3+((0)@avg_pool_3x3)@"
        "avg_pool_3x3");
  CHECK(unique_string(tss(284)) == "#+#+(0)@nor_conv_1x1");
  CHECK(unique_string(tss(1651)) == "#+#+#");
  CHECK(unique_string(tss(1835)) == "0+0+0+0");
}

TEST_CASE("isomorphism classes and connectivity over the whole space", "[space][tss][helpers]") {
  std::map<std::string, int> groups;
  std::set<std::string> as_op;
  int connected = 0;
  std::vector<int> first_disconnected;
  for (int i = 0; i < TopologySpace::kNumArchs; ++i) {
    const auto g = tss(i);
    ++groups[unique_string(g)];
    as_op.insert(unique_string(g, ZeroHandling::AsOp));
    if (is_connected(g)) {
      ++connected;
    } else if (first_disconnected.size() < 8) {
      first_disconnected.push_back(i);
    }
  }
  CHECK(groups.size() == 6466);
  CHECK(as_op.size() == 12751);
  CHECK(connected == 15284);
  CHECK(first_disconnected == std::vector<int>{10, 12, 74, 104, 105, 108, 120, 172});
  CHECK(groups.at(unique_string(tss(0))) == 8);
  CHECK(groups.at(unique_string(tss(9))) == 30);
  CHECK(groups.at(unique_string(tss(284))) == 275);
  CHECK(groups.at("#+#+#") == 225);
}

TEST_CASE("matrix, full structure and list encodings", "[space][tss][helpers]") {
  const auto m = adjacency_matrix(tss(11));
  CHECK(m ==
        std::vector<std::vector<double>>{{0, 0, 0, 0}, {3, 0, 0, 0}, {3, 4, 0, 0}, {0, 3, 4, 0}});
  const auto full =
      full_structure(parse_topology("|nor_conv_3x3~0|+|skip_connect~1|+|nor_conv_3x3~0|"));
  CHECK(format_topology(full) ==
        "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|nor_conv_3x3~0|none~1|");
  const auto listed = to_list(tss(11), Op::None);
  REQUIRE(listed);
  CHECK(listed->at(2).size() == 2);
  CHECK_FALSE(to_list(tss(1651), Op::None));
}
