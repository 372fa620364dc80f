#include <catch2/catch.hpp>

#include "natsbench/space/size.h"
#include "natsbench/util/error.h"

using namespace natsbench;

TEST_CASE("sss index order: c0 most significant, no shuffle", "[space][sss]") {
  const auto& sss = SizeSpace::get();
  const std::vector<std::pair<int, std::string>> entries = {
      {0, "8:8:8:8:8"},        {1, "8:8:8:8:16"},         {11, "8:8:8:16:32"},
      {284, "8:8:40:32:40"},   {32767, "64:64:64:64:64"}, {5816, "16:32:24:64:8"},
      {29127, "64:8:64:8:64"}, {3640, "8:64:8:64:8"},     {14043, "32:32:32:32:32"},
      {1000, "8:16:64:48:8"},  {12345, "32:8:8:64:16"},   {20000, "40:64:8:40:8"},
      {30000, "64:24:40:56:8"}};
  for (const auto& [index, arch] : entries) {
    CHECK(sss.arch(index) == arch);
    CHECK(sss.index_of(arch) == index);
  }
  for (int i = 0; i < sss.size(); ++i) REQUIRE(sss.index_of(sss.arch(i)) == i);
}

TEST_CASE("sss lookup is exact and validated", "[space][sss]") {
  const auto& sss = SizeSpace::get();
  for (const char* text : {"8:8:8:8", "8:8:8:8:8:8", "8:8:8:8:12", "8:8:8:8:72", "08:8:8:8:8",
                           "8:8:8:8:0", "8:8:8:8:-8", "8:8:8:8:", "8,8,8,8,8", "", " 8:8:8:8:8"}) {
    INFO(text);
    CHECK(sss.index_of(text) == -1);
    CHECK_THROWS_AS(sss.require_index(text), ArgError);
  }
  CHECK_THROWS_AS(sss.arch(32768), ArgError);
  CHECK_THROWS_AS(sss.arch(-1), ArgError);
}

TEST_CASE("the network builder accepts 3N+2 positive widths", "[space][sss]") {
  CHECK(parse_channels("8:16:24:32:40") == std::vector<int>{8, 16, 24, 32, 40});
  CHECK(parse_channels("12:20") == std::vector<int>{12, 20});
  CHECK(parse_channels("4:4:4:4:4:4:4:4") == std::vector<int>(8, 4));
  CHECK_THROWS_AS(parse_channels("8:8:8"), ArgError);
  CHECK_THROWS_AS(parse_channels("8:0:8:8:8"), ArgError);
  CHECK_THROWS_AS(parse_channels("8:x:8:8:8"), ArgError);
  CHECK(format_channels({8, 16, 24, 32, 40}) == "8:16:24:32:40");
}
