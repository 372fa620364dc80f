#include <catch2/catch.hpp>
#include <set>

#include "natsbench/space/topology.h"
#include "natsbench/util/error.h"

using namespace natsbench;

namespace {
const TopologySpace& tss() {
  return TopologySpace::get();
}
}  // namespace

TEST_CASE("official index -> gen_all code for indexes 0..19", "[space][tss]") {
  const std::vector<int> codes = {13931, 11791, 14874, 13126, 4032,  7204, 9493,
                                  1168,  8903,  12528, 11625, 11769, 19,   2712,
                                  9700,  5779,  4153,  13432, 15457, 11620};
  for (int i = 0; i < 20; ++i) CHECK(tss().enumeration_code(i) == codes[i]);
}

TEST_CASE("gen_all code of uniform cells -> official index", "[space][tss]") {
  CHECK(tss().index_of("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|") == 1651);
  CHECK(tss().index_of("|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|"
                       "skip_connect~1|skip_connect~2|") == 1835);
  CHECK(tss().index_of("|nor_conv_1x1~0|+|nor_conv_1x1~0|nor_conv_1x1~1|+|nor_conv_1x1~0|"
                       "nor_conv_1x1~1|nor_conv_1x1~2|") == 4317);
  CHECK(tss().index_of("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|"
                       "nor_conv_3x3~1|nor_conv_3x3~2|") == 1462);
  CHECK(tss().index_of("|avg_pool_3x3~0|+|avg_pool_3x3~0|avg_pool_3x3~1|+|avg_pool_3x3~0|"
                       "avg_pool_3x3~1|avg_pool_3x3~2|") == 7581);
}

TEST_CASE("arch strings of the official meta list", "[space][tss]") {
  const std::vector<std::pair<int, std::string>> entries = {
      {0,
       "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|"
       "skip_connect~2|"},
      {1,
       "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|"
       "skip_connect~2|"},
      {9, "|avg_pool_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"},
      {11,
       "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|none~0|nor_conv_3x3~1|"
       "avg_pool_3x3~2|"},
      {123,
       "|avg_pool_3x3~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|none~0|avg_pool_3x3~1|"
       "nor_conv_3x3~2|"},
      {284, "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|none~0|nor_conv_1x1~1|none~2|"},
      {9930,
       "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|"
       "nor_conv_3x3~2|"},
      {100,
       "|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|nor_conv_3x3~0|avg_pool_3x3~1|"
       "skip_connect~2|"},
      {1000,
       "|skip_connect~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|none~0|skip_connect~1|"
       "nor_conv_3x3~2|"},
      {5000,
       "|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|"
       "nor_conv_3x3~2|"},
      {10000,
       "|nor_conv_1x1~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|"
       "nor_conv_1x1~1|nor_conv_3x3~2|"},
      {15624,
       "|nor_conv_1x1~0|+|none~0|nor_conv_1x1~1|+|none~0|nor_conv_1x1~1|"
       "nor_conv_1x1~2|"},
      {1601, "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|none~2|"},
  };
  for (const auto& [index, arch] : entries) {
    CHECK(tss().arch(index) == arch);
    CHECK(tss().index_of(arch) == index);
    CHECK(format_topology(tss().genotype(index)) == arch);
  }
}

TEST_CASE("the index order is a permutation of all 15625 cells", "[space][tss]") {
  std::set<int> codes;
  for (int i = 0; i < tss().size(); ++i) {
    codes.insert(tss().enumeration_code(i));
    REQUIRE(tss().index_of(tss().arch(i)) == i);
  }
  CHECK(codes.size() == 15625);
  CHECK(*codes.begin() == 0);
  CHECK(*codes.rbegin() == 15624);
}

TEST_CASE("the general grammar parses what the reference builder accepts", "[space][tss]") {
  const std::string canonical =
      "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|none~0|nor_conv_3x3~1|avg_pool_3x3~2|";
  const Genotype parsed = parse_topology(canonical);
  CHECK(format_topology(parsed) == canonical);
  CHECK(is_full_cell(parsed));
  CHECK(count_op(parsed, Op::NorConv3x3) == 3);

  // Missing and doubled bars are tolerated; the parse equals the canonical one.
  CHECK(parse_topology("nor_conv_3x3~0+nor_conv_3x3~0|avg_pool_3x3~1+||none~0||nor_conv_3x3~1|"
                       "avg_pool_3x3~2") == parsed);
  // Missing edges, reordered edges and duplicate sources are kept as written.
  const Genotype sparse = parse_topology("|nor_conv_3x3~0|+|skip_connect~1|+|nor_conv_3x3~0|");
  CHECK_FALSE(is_full_cell(sparse));
  CHECK(sparse.nodes[1].size() == 1);
  const Genotype reordered = parse_topology("|none~0|+|none~1|none~0|+|none~2|none~0|none~0|");
  CHECK(reordered.nodes[1][0].source == 1);
  CHECK(reordered.nodes[2].size() == 3);
  CHECK(format_topology(reordered) == "|none~0|+|none~1|none~0|+|none~2|none~0|none~0|");
}

TEST_CASE("malformed arch strings are rejected with a message naming them", "[space][tss]") {
  const std::vector<std::string> bad = {
      "",
      "|conv_5x5~0|+|none~0|none~1|+|none~0|none~1|none~2|",        // unknown op
      "|nor_conv_3x3~1|+|none~0|none~1|+|none~0|none~1|none~2|",    // source >= node
      "|nor_conv_3x3~-1|+|none~0|none~1|+|none~0|none~1|none~2|",   // negative source
      "|nor_conv_3x3~0|+||+|none~0|none~1|none~2|",                 // node without edges
      "|nor_conv_3x3|+|none~0|none~1|+|none~0|none~1|none~2|",      // no source
      "|nor_conv_3x3~0~1|+|none~0|none~1|+|none~0|none~1|none~2|",  // extra field
      "|nor_conv_3x3~x|+|none~0|none~1|+|none~0|none~1|none~2|",    // non-numeric source
      "|NOR_CONV_3X3~0|+|none~0|none~1|+|none~0|none~1|none~2|",    // upper case
  };
  for (const auto& text : bad) {
    INFO(text);
    CHECK_THROWS_AS(parse_topology(text), ArgError);
    try {
      parse_topology(text);
    } catch (const ArgError& e) {
      CHECK_THAT(e.what(), Catch::Contains("arch string '" + text + "'"));
    }
  }
}

TEST_CASE("benchmark lookup is exact", "[space][tss]") {
  const std::string canonical = tss().arch(11);
  CHECK(tss().index_of(canonical) == 11);
  CHECK(tss().index_of(canonical.substr(1)) == -1);  // missing leading bar
  CHECK(tss().index_of(" " + canonical) == -1);      // whitespace
  CHECK(tss().index_of("|nor_conv_3x3~0|+|avg_pool_3x3~1|nor_conv_3x3~0|+|none~0|"
                       "nor_conv_3x3~1|avg_pool_3x3~2|") == -1);  // edge order
  CHECK_THROWS_AS(tss().require_index(canonical.substr(1)), ArgError);
  CHECK_THROWS_WITH(tss().require_index(canonical.substr(1)),
                    Catch::Contains("canonical spelling: " + canonical));
  CHECK_THROWS_AS(tss().arch(-1), ArgError);
  CHECK_THROWS_AS(tss().arch(15625), ArgError);
}
