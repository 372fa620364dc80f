// Split files: the AutoDL format, regeneration of the official files (docs/training.md §3, §9.1).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "../bench/reference_dir.h"
#include "natsbench/data/splits.h"
#include "natsbench/util/atomic_file.h"
#include "natsbench/util/error.h"
#include "natsbench/util/md5.h"

using natsbench::data::SplitFile;
namespace data = natsbench::data;

namespace {

std::string joined(const std::vector<std::int64_t>& v) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s;
}

struct Vector {
  const char* file;
  const char* key;
  std::size_t size;
  std::vector<std::int64_t> first10, last5;
  std::int64_t sum;
  std::int64_t at100, at1000;  // -1: not in docs/training.md §9.1
  const char* joined_md5;      // "" : not in docs/training.md §9.1
};

// docs/training.md §9.1
const std::vector<Vector>& vectors() {
  static const std::vector<Vector> v = {
      {"cifar-split",
       "train",
       25000,
       {0, 5, 7, 11, 13, 15, 16, 17, 20, 24},
       {49988, 49989, 49990, 49992, 49994},
       623618849,
       175,
       2016,
       "33271aabb5cacdf1c47132344207b167"},
      {"cifar-split",
       "valid",
       25000,
       {1, 2, 3, 4, 6, 8, 9, 10, 12, 14},
       {49995, 49996, 49997, 49998, 49999},
       626356151,
       223,
       1984,
       "bd93afc25a3cdc817687b3116cb89324"},
      {"cifar100-test-split",
       "xvalid",
       5000,
       {1, 3, 4, 5, 8, 10, 13, 14, 15, 16},
       {9989, 9992, 9996, 9997, 9999},
       25109591,
       187,
       2044,
       "d48b75ee54451361b1616f45319dd135"},
      {"cifar100-test-split",
       "xtest",
       5000,
       {0, 2, 6, 7, 9, 11, 12, 17, 20, 24},
       {9991, 9993, 9994, 9995, 9998},
       24885409,
       204,
       1953,
       "bc3f493b9f567b07e7db64c062302fac"},
      {"imagenet-16-120-test-split",
       "xvalid",
       3000,
       {1, 2, 3, 6, 7, 8, 9, 12, 16, 18},
       {5993, 5994, 5997, 5998, 5999},
       9093224,
       179,
       2048,
       "fc643d2a01459022f6010b8124fe9512"},
      {"imagenet-16-120-test-split",
       "xtest",
       3000,
       {0, 4, 5, 10, 11, 13, 14, 15, 17, 20},
       {5989, 5990, 5992, 5995, 5996},
       8903776,
       218,
       1946,
       "87d86641fac2115e50fe88f86b9a3dc7"},
      {"ImageNet16-120-split",
       "train",
       75850,
       {1, 3, 5, 7, 8, 10, 11, 12, 15, 18},
       {151688, 151690, 151691, 151694, 151697},
       5742366300,
       -1,
       -1,
       ""},
      {"ImageNet16-120-split",
       "valid",
       75850,
       {0, 2, 4, 6, 9, 13, 14, 16, 17, 20},
       {151693, 151695, 151696, 151698, 151699},
       5764002850,
       -1,
       -1,
       ""},
  };
  return v;
}

void check_vector(const SplitFile& split, const Vector& v) {
  INFO(v.file << " " << v.key);
  const auto& list = split.at(v.key);
  REQUIRE(list.size() == v.size);
  CHECK(std::vector<std::int64_t>(list.begin(), list.begin() + 10) == v.first10);
  CHECK(std::vector<std::int64_t>(list.end() - 5, list.end()) == v.last5);
  CHECK(std::accumulate(list.begin(), list.end(), std::int64_t{0}) == v.sum);
  if (v.at100 >= 0) {
    CHECK(list[100] == v.at100);
    CHECK(list[1000] == v.at1000);
  }
  if (*v.joined_md5) CHECK(natsbench::md5_hex(joined(list)) == v.joined_md5);
}

std::string temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("natsbench-splits-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

}  // namespace

TEST_CASE("md5 of known strings (RFC 1321 vectors)", "[data][splits]") {
  CHECK(natsbench::md5_hex("") == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(natsbench::md5_hex("abc") == "900150983cd24fb0d6963f7d28e17f72");
  CHECK(natsbench::md5_hex(
            "12345678901234567890123456789012345678901234567890123456789012345678901234567890") ==
        "57edf4a22be3c955ac49da2e2107b67a");
}

TEST_CASE(
    "regenerated cifar-split and ImageNet16-120-split match docs/training.md §9.1 and the file md5",
    "[data][splits]") {
  for (const char* name : {"cifar-split", "ImageNet16-120-split"}) {
    const SplitFile split = data::generate_official_split(name);
    for (const auto& v : vectors()) {
      if (std::string(v.file) == name) check_vector(split, v);
    }
    // Byte-exact: the formatted file has the md5 of the distributed one (§9.1).
    const std::string text = data::format_split(split);
    CHECK(natsbench::md5_hex(text) == data::split_info(name).md5);
    CHECK(text.size() == (std::string(name) == "cifar-split" ? 438970u : 1405970u));
    data::check_partition(split, data::split_info(name).first_key,
                          data::split_info(name).second_key, data::split_info(name).indexes_into,
                          name);
  }
  // The generator's own asserts (§3.3).
  const SplitFile cifar = data::generate_official_split("cifar-split.txt");
  CHECK(cifar.at("train")[111] == 203);
  CHECK(cifar.at("valid")[10] == 18);
  CHECK(cifar.at("valid")[111] == 242);
}

TEST_CASE("official split files equal the regenerated ones and the §9.1 vectors",
          "[data][splits]") {
  const auto root = natsbench::testing::reference_dir();
  if (!root) {
    WARN("NATSBENCH_REFERENCE_DIR is unset: skipping the comparison with the official split files");
    return;
  }
  const std::string dir = (*root / "splits").string();
  for (const auto& info : data::official_splits()) {
    const std::string path = dir + "/" + std::string(info.file);
    INFO(path);
    CHECK(natsbench::md5_file_hex(path) == info.md5);
    const SplitFile split = data::read_split_file(path);
    REQUIRE(split.lists.size() == 2);
    CHECK(split.lists[0].first == info.first_key);
    CHECK(split.lists[1].first == info.second_key);
    data::check_partition(split, info.first_key, info.second_key, info.indexes_into, path);
    for (const auto& v : vectors()) {
      if (std::string(v.file) + ".txt" == info.file) check_vector(split, v);
    }
    // The writer reproduces every file byte for byte, test splits included.
    CHECK(data::format_split(split) == natsbench::read_file(path));
    if (info.regenerable) {
      CHECK(data::generate_official_split(info.file).lists == split.lists);
    }
    CHECK(data::load_official_split(info.file, dir).lists == split.lists);
  }
}

TEST_CASE("split writer and reader round-trip; atomic write", "[data][splits]") {
  const std::string dir = temp_dir("rt");
  const SplitFile split = data::generate_shuffle_split(7, 101, "train", "valid");
  CHECK(split.at("train").size() == 50);
  CHECK(split.at("valid").size() == 51);
  data::check_partition(split, "train", "valid", 101, "small");
  data::write_split_file(dir + "/s.txt", split);
  CHECK(data::read_split_file(dir + "/s.txt").lists == split.lists);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++files;
  CHECK(files == 1);  // no temporary left behind
  // load_official_split takes a (smaller) cifar-split from the directory when present.
  data::write_split_file(dir + "/cifar-split.txt", split);
  CHECK(data::load_official_split("cifar-split", dir).at("valid").size() == 51);
  std::filesystem::remove_all(dir);
}

TEST_CASE("split parser: clear errors naming the file, line and what was expected",
          "[data][splits]") {
  using Catch::Matchers::Contains;
  const auto err = [](const std::string& text) {
    try {
      data::parse_split(text, "x.txt");
    } catch (const natsbench::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(err(""), Contains("x.txt") && Contains("line 1") && Contains("expected '{'"));
  CHECK_THAT(err("{\n  \"a\" : [\"int\", [\"1\", \"2\"]],\n  \"b\" [\"int\", []]\n}"),
             Contains("line 3") && Contains("':' after the key \"b\""));
  CHECK_THAT(err("{\"a\": [\"integer\", [\"1\"]]}"), Contains("type \"integer\""));
  CHECK_THAT(err("{\"a\": [\"str\", \"x\"]}"), Contains("must be [\"int\", [...]]"));
  CHECK_THAT(err("{\"a\": [\"int\", [\"1\", \"-2\"]]}"),
             Contains("\"a\"[1] = \"-2\"") && Contains("non-negative decimal integer"));
  CHECK_THAT(err("{\"a\": [\"int\", [\"3\", \"3\"]]}"), Contains("strictly increasing"));
  CHECK_THAT(err("{\"a\": [\"int\", [\"1\"]], \"a\": [\"int\", []]}"), Contains("second \"a\""));
  CHECK_THAT(err("{\"a\": [\"int\", [\"1\"]]} x"), Contains("nothing after the closing '}'"));
  CHECK_THAT(err("{\"a\": [\"int\", [\"1\"]"), Contains("end of file"));
  CHECK(err("{}") == "no error");

  // The general config format: scalars of every type.
  const auto entries = data::parse_config(
      "{\"lr\": [\"float\", \"0.1\"], \"n\": [\"none\", \"None\"], \"s\": [\"str\", \"a\\\"b\"]}",
      "c");
  REQUIRE(entries.size() == 3);
  CHECK_THROWS_WITH(data::parse_config("{\n\"lr\": [\"float\", \"0.1x\"]}", "hp.config"),
                    Contains("hp.config") && Contains("line 2") &&
                        Contains("value \"0.1x\" of \"lr\" is not a valid float"));
  CHECK_THROWS_WITH(data::parse_config("{\"e\": [\"int\", [\"1\", \"x\"]]}", "c"),
                    Contains("\"e\"[1] is not a valid int"));
  CHECK_THROWS_WITH(data::parse_config("{\"n\": [\"none\", \"null\"]}", "c"),
                    Contains("not a valid none"));
  CHECK(data::parse_config("{\"b\": [\"bool\", \"0\"], \"n\": [\"none\", \"NONE\"]}", "c").size() ==
        2);
  CHECK(entries[0].type == "float");
  CHECK_FALSE(entries[0].is_list);
  CHECK(entries[2].values[0] == "a\"b");

  SplitFile split = data::generate_shuffle_split(1, 10, "a", "b");
  CHECK_THROWS_WITH(data::check_partition(split, "a", "b", 9, "p"),
                    Contains("beyond the set of 9"));
  CHECK_THROWS_WITH(data::check_partition(split, "a", "b", 11, "p"),
                    Contains("index 10 is in neither"));
  CHECK_THROWS_WITH(split.at("c"), Contains("no list \"c\" (it has: a, b)"));
  CHECK_THROWS_WITH(data::read_split_file("/nonexistent/cifar-split.txt"),
                    Contains("/nonexistent/cifar-split.txt"));
}

TEST_CASE("the two test splits cannot be regenerated: the error says where to get them",
          "[data][splits]") {
  using Catch::Matchers::Contains;
  const std::string dir = temp_dir("missing");
  CHECK_THROWS_WITH(data::load_official_split("cifar100-test-split", dir),
                    Contains("cifar100-test-split.txt") && Contains(dir) &&
                        Contains("AutoDL-Projects configs/nas-benchmark/"));
  CHECK_THROWS_WITH(data::generate_official_split("imagenet-16-120-test-split"),
                    Contains("cannot be regenerated"));
  CHECK_THROWS_AS(data::split_info("imagenet-split"), natsbench::ArgError);
  // cifar-split without a directory: regenerated.
  CHECK(data::load_official_split("cifar-split", "").at("train").size() == 25000);
  std::filesystem::remove_all(dir);
}
