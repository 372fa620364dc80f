#include <catch2/catch.hpp>

#include "natsbench/space/arch.h"
#include "natsbench/util/error.h"

using namespace natsbench;

TEST_CASE("space names", "[space]") {
  CHECK(parse_space("tss") == Space::Topology);
  CHECK(parse_space("topology") == Space::Topology);
  CHECK(parse_space("sss") == Space::Size);
  CHECK(parse_space("size") == Space::Size);
  CHECK_THROWS_AS(parse_space("TSS"), ArgError);
}

TEST_CASE("lookup_arch takes an index or the exact canonical string", "[space]") {
  const ArchConfig a = lookup_arch(Space::Topology, "11");
  CHECK(a.index == 11);
  CHECK(lookup_arch(Space::Topology, a.arch_str).index == 11);
  const ArchConfig s = lookup_arch(Space::Size, "8:8:40:32:40");
  CHECK(s.index == 284);
  CHECK(s.channels == std::vector<int>{8, 8, 40, 32, 40});
  CHECK(format_topology(s.genotype) == kSizeSpaceGenotype);
  CHECK_THROWS_AS(lookup_arch(Space::Topology, "-1"), ArgError);
  CHECK_THROWS_AS(lookup_arch(Space::Topology, "15625"), ArgError);
  CHECK_THROWS_AS(lookup_arch(Space::Size, "32768"), ArgError);
  CHECK_THROWS_AS(lookup_arch(Space::Size, "8:8:8:8:12"), ArgError);
  CHECK_THROWS_AS(lookup_arch(Space::Topology, "99999999999999999999"), ArgError);
}

TEST_CASE("parse_arch accepts the general grammar and finds exact benchmark strings", "[space]") {
  const ArchConfig off = parse_arch(Space::Topology, "|nor_conv_3x3~0|+|skip_connect~1|+|none~2|");
  CHECK(off.index == -1);
  const ArchConfig on = parse_arch(Space::Topology, lookup_arch(Space::Topology, "284").arch_str);
  CHECK(on.index == 284);
  CHECK(parse_arch(Space::Size, "12:20").index == -1);
  CHECK(parse_index("42", "--index") == 42);
  CHECK_THROWS_WITH(parse_index("4x", "--index"), Catch::Contains("--index '4x'"));
}
