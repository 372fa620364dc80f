// The query API against the official API's answers on the official sample files
// (docs/archive-format.md §5; vectors in tests/bench/vectors/official_api.json), compared
// bit for bit.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "natsbench/bench/archive.h"
#include "natsbench/bench/benchmark.h"
#include "natsbench/bench/errors.h"
#include "natsbench/io/bz2.h"
#include "natsbench/io/pickle.h"
#include "natsbench/space/size.h"
#include "natsbench/space/topology.h"
#include "reference_dir.h"

using namespace natsbench;
using namespace natsbench::bench;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const json& vectors() {
  static const json data = [] {
    std::ifstream in(std::string(NATSBENCH_TEST_VECTORS) + "/official_api.json");
    return json::parse(in);
  }();
  return data;
}

std::string describe(const Field& field) {
  if (std::holds_alternative<double>(field)) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.17g", std::get<double>(field));
    return buffer;
  }
  if (std::holds_alternative<std::string>(field)) return std::get<std::string>(field);
  return "None";
}

// Same keys in the same order (the comment aside) and bit-identical numbers.
void check_info(const InfoDict& got, const json& expected, const std::string& label) {
  InfoDict without_comment;
  for (const auto& item : got) {
    if (item.first != "comment") without_comment.push_back(item);
  }
  INFO(label);
  REQUIRE(without_comment.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto& [key, value] = without_comment[i];
    INFO(key << " = " << describe(value));
    CHECK(key == expected[i][0].get<std::string>());
    if (expected[i][1].is_null()) {
      CHECK(std::holds_alternative<std::monostate>(value));
    } else {
      REQUIRE(std::holds_alternative<double>(value));
      CHECK(std::get<double>(value) == expected[i][1].get<double>());
    }
  }
}

void check_all_queries(Benchmark& benchmark, const std::string& space) {
  int checked = 0;
  for (const auto& q : vectors()["queries"]) {
    if (q["space"] != space) continue;
    const int index = q["index"];
    const std::string dataset = q["dataset"], hp = q["hp"];
    const std::string label = space + " " + std::to_string(index) + " hp " + hp + " " + dataset;
    if (q["query"] == "cost") {
      check_info(benchmark.get_cost_info(index, dataset, hp), q["expected"], label + " cost");
    } else {
      const auto iepoch =
          q.contains("iepoch") ? std::optional<int>(q["iepoch"].get<int>()) : std::nullopt;
      const auto seeds = q.contains("seed") ? SeedChoice::of(q["seed"]) : SeedChoice::mean();
      check_info(benchmark.get_more_info(index, dataset, iepoch, hp, seeds), q["expected"],
                 label + " more");
    }
    ++checked;
  }
  CHECK(checked == (space == "tss" ? 96 : 132));
}

}  // namespace

TEST_CASE("official meta lists equal the generated index orders", "[bench]") {
  NATSBENCH_REQUIRE_SAMPLES(tss_dir, "tss");
  const auto tss = read_meta_file((*tss_dir / "meta.pickle.pbz2").string());
  REQUIRE(tss.size() == 15625);
  for (int i = 0; i < 15625; ++i) REQUIRE(tss[i] == TopologySpace::get().arch(i));
  NATSBENCH_REQUIRE_SAMPLES(sss_dir, "sss");
  const auto sss = read_meta_file((*sss_dir / "meta.pickle.pbz2").string());
  REQUIRE(sss.size() == 32768);
  for (int i = 0; i < 32768; ++i) REQUIRE(sss[i] == SizeSpace::get().arch(i));
}

TEST_CASE("get_cost_info and get_more_info equal the official answers", "[bench]") {
  for (const std::string space : {"tss", "sss"}) {
    NATSBENCH_REQUIRE_SAMPLES(dir, space);
    auto benchmark = Benchmark::create(dir->string(), parse_space(space), true);
    CHECK(benchmark.size() == (space == "tss" ? 15625 : 32768));
    CHECK(benchmark.evaluated_indexes().empty());
    check_all_queries(benchmark, space);
    CHECK(benchmark.evaluated_indexes() == std::vector<int>{0, 11, 284});
  }
}

TEST_CASE("simulate_train_eval: latency and time cost exact, accuracy of the drawn seed",
          "[bench]") {
  for (const std::string space : {"tss", "sss"}) {
    NATSBENCH_REQUIRE_SAMPLES(dir, space);
    auto benchmark = Benchmark::create(dir->string(), parse_space(space), true);
    for (const auto& s : vectors()["simulate"]) {
      if (s["space"] != space) continue;
      INFO(s.dump());
      const auto iepoch =
          s["iepoch"].is_null() ? std::nullopt : std::optional<int>(s["iepoch"].get<int>());
      std::set<double> accuracies;
      for (const auto& pair : s["accuracy_by_seed"]) accuracies.insert(pair[1].get<double>());
      for (std::uint64_t rng_seed = 0; rng_seed < 4; ++rng_seed) {
        benchmark.seed_random(rng_seed);
        const double before = benchmark.used_time();
        const auto r = benchmark.simulate_train_eval(s["index"], s["dataset"], iepoch, s["hp"]);
        CHECK(accuracies.count(r.accuracy) == 1);
        REQUIRE(r.latency);
        CHECK(*r.latency == s["latency"].get<double>());
        CHECK(r.time_cost == s["time_cost"].get<double>());
        CHECK(r.used_time == before + r.time_cost);
      }
    }
  }
}

TEST_CASE("seeded random queries replay the official Python sequences", "[bench]") {
  NATSBENCH_REQUIRE_SAMPLES(dir, "tss");
  auto api = Benchmark::create(dir->string(), Space::Topology, true);
  api.seed_random(0);
  api.reset_time();
  const double acc[] = {74.04400000488282, 74.04400000488282, 71.70799999023437};
  const double used[] = {60.89902593692145, 121.7980518738429, 182.69707781076434};
  for (int k = 0; k < 3; ++k) {
    const auto r = api.simulate_train_eval(284, "cifar10", std::nullopt, "12");
    CHECK(r.accuracy == acc[k]);
    CHECK(*r.latency == 0.012457707472014846);
    CHECK(r.time_cost == 60.89902593692145);
    CHECK(r.used_time == used[k]);
  }
  const double used_valtest[] = {1627.4254734544527, 3072.153869098141};
  for (int k = 0; k < 2; ++k) {
    const auto r = api.simulate_train_eval(0, "cifar100", 99, "200");
    CHECK(r.accuracy == 24.83);
    CHECK(*r.latency == 0.013182918230692545);
    CHECK(r.time_cost == 1444.7283956436884);
    CHECK(r.used_time == used_valtest[k]);
  }
  api.seed_random(0);
  const double valid[] = {81.61599997314453, 81.61599997314453, 82.09199998291015,
                          81.61599997314453};
  for (double expected : valid) {
    const auto info = api.get_more_info(0, "cifar10-valid", std::nullopt, "200");
    CHECK(std::get<double>(*find_field(info, "valid-accuracy")) == expected);
  }
  api.seed_random(0);
  CHECK(api.random_below(15625) == 13835);
  CHECK(api.random_below(15625) == 6311);
  CHECK(api.random_below(15625) == 12418);
}

TEST_CASE("find_best, statistics and get_net_config equal the official answers", "[bench]") {
  for (const std::string space : {"tss", "sss"}) {
    NATSBENCH_REQUIRE_SAMPLES(dir, space);
    auto api = Benchmark::create(dir->string(), parse_space(space), true);
    for (int index : {0, 11, 284}) api.get_net_config(index, "cifar100");  // loads them
    for (const auto& f : vectors()["find_best"]) {
      if (f["space"] != space) continue;
      INFO(f.dump());
      const auto flop_max = f.contains("flop_max")
                                ? std::optional<double>(f["flop_max"].get<double>())
                                : std::nullopt;
      const auto param_max = f.contains("param_max")
                                 ? std::optional<double>(f["param_max"].get<double>())
                                 : std::nullopt;
      const auto [index, accuracy] =
          api.find_best(f["dataset"], f["metric"], flop_max, param_max, f["hp"], false);
      CHECK(index == f["index"].get<int>());
      REQUIRE(accuracy);
      CHECK(*accuracy == f["accuracy"].get<double>());
    }
    for (const auto& s : vectors()["statistics"]) {
      if (s["space"] != space) continue;
      const auto counts = api.statistics(s["dataset"], s["hp"]);
      CHECK(counts == std::map<int, int>{{s["counts"][0][0], s["counts"][0][1]}});
    }
    const auto config = api.get_net_config(284, "cifar100");
    if (space == "tss") {
      REQUIRE(config.size() == 5);
      CHECK(std::get<std::string>(config[0].second) == "infer.tiny");
      CHECK(std::get<std::int64_t>(config[1].second) == 16);
      CHECK(std::get<std::int64_t>(config[2].second) == 5);
      CHECK(std::get<std::string>(config[3].second) == TopologySpace::get().arch(284));
      CHECK(std::get<std::int64_t>(config[4].second) == 100);
    } else {
      REQUIRE(config.size() == 4);
      CHECK(std::get<std::string>(config[0].second) == "infer.shape.tiny");
      CHECK(std::get<std::string>(config[1].second) == "8:8:40:32:40");
      CHECK(std::get<std::string>(config[2].second) == kSizeSpaceGenotype);
      CHECK(std::get<std::int64_t>(config[3].second) == 100);
    }
  }
}

TEST_CASE("typed errors name the argument", "[bench]") {
  NATSBENCH_REQUIRE_SAMPLES(dir, "tss");
  auto api = Benchmark::create(dir->string(), Space::Topology, true);
  CHECK_THROWS_AS(api.get_more_info(15625, "cifar10", std::nullopt, "12"), UnknownIndexError);
  CHECK_THROWS_AS(api.get_more_info(1, "cifar10", std::nullopt, "12"), UnknownIndexError);
  CHECK_THROWS_AS(api.get_more_info(11, "cifar10", std::nullopt, "90"), UnknownHpError);
  CHECK_THROWS_AS(api.get_more_info(11, "imagenet", std::nullopt, "12"), UnknownDatasetError);
  CHECK_THROWS_AS(api.get_more_info(11, "cifar10", 12, "12"), BadEpochError);
  CHECK_THROWS_AS(api.get_more_info(11, "cifar10", -1, "12"), BadEpochError);
  CHECK_THROWS_AS(api.get_more_info(11, "cifar10", std::nullopt, "12", SeedChoice::of(888)),
                  UnknownSeedError);
  CHECK_THROWS_AS(api.get_cost_info(11, "cifar10", "01"), UnknownHpError);
  CHECK_THROWS_AS(api.simulate_train_eval(11, "cifar10-valid", std::nullopt, "12"),
                  UnknownDatasetError);
  CHECK_THROWS_WITH(api.resolve_index("|none~0|"), Catch::Contains("'|none~0|'"));
  CHECK(api.resolve_index(TopologySpace::get().arch(284)) == 284);
  CHECK_THROWS_AS(Benchmark::create((*dir / "missing").string(), Space::Topology, true), ArgError);
  CHECK_THROWS_AS(Benchmark::create(dir->string(), Space::Topology, false), ArgError);
}

TEST_CASE("rewritten archives give the same answers", "[bench][roundtrip]") {
  for (const std::string space : {"tss", "sss"}) {
    NATSBENCH_REQUIRE_SAMPLES(dir, space);
    const fs::path out = fs::temp_directory_path() / ("natsbench-roundtrip-" + space);
    fs::remove_all(out);
    fs::create_directories(out);
    write_meta_file((out / "meta.pickle.pbz2").string(),
                    read_meta_file((*dir / "meta.pickle.pbz2").string()));
    BenchmarkContents contents;
    contents.meta_archs = read_meta_file((*dir / "meta.pickle.pbz2").string());
    for (int index : {0, 11, 284}) {
      const auto original = read_arch_file((*dir / arch_file_name(index)).string());
      write_arch_file((out / arch_file_name(index)).string(), original);
      const auto reread = read_arch_file((out / arch_file_name(index)).string());
      CHECK(reread == original);
      contents.arch2infos[index] = original;
    }
    auto rewritten = Benchmark::create(out.string(), parse_space(space), true);
    check_all_queries(rewritten, space);

    // The single-file form holds the same data.
    const auto file = (out / (base_name(parse_space(space)) + ".pickle.pbz2")).string();
    write_benchmark_file(file, contents);
    auto single = Benchmark::create(file, parse_space(space), false);
    CHECK(single.evaluated_indexes() == std::vector<int>{0, 11, 284});
    check_all_queries(single, space);
    fs::remove_all(out);
  }
}

TEST_CASE("schema violations are CorruptFileError naming the file and the field",
          "[bench][schema]") {
  namespace pk = natsbench::pickle;
  const fs::path dir = fs::temp_directory_path() / "natsbench-schema-test";
  fs::create_directories(dir);
  const auto write = [&](const std::string& name, const pk::Value& value) {
    const auto path = (dir / name).string();
    std::ofstream(path, std::ios::binary) << natsbench::bz2::compress(pk::dump(value));
    return path;
  };
  pk::Dict record;
  record.add("name", pk::Value::str("cifar10"));  // no 'epochs'
  pk::Dict all;
  all.add(pk::Value::tuple({pk::Value::str("cifar10"), pk::Value::integer(777)}),
          pk::Value::dict(record));
  pk::Dict result;
  result.add("arch_index", pk::Value::integer(0));
  result.add("all_results", pk::Value::dict(all));
  pk::Dict info;
  info.add("12", pk::Value::dict(result));
  const auto no_epochs = write("no-epochs.pickle.pbz2", pk::Value::dict(info));
  CHECK_THROWS_AS(read_arch_file(no_epochs), CorruptFileError);
  CHECK_THROWS_WITH(read_arch_file(no_epochs),
                    Catch::Contains("no-epochs.pickle.pbz2") && Catch::Contains("'epochs'"));

  const auto not_dict = write("list.pickle.pbz2", pk::Value::list({pk::Value::integer(1)}));
  CHECK_THROWS_AS(read_arch_file(not_dict), CorruptFileError);
  CHECK_THROWS_AS(read_meta_file(not_dict), CorruptFileError);

  // A complete record under seed 777, while dataset_seed lists 888.
  record.add("epochs", pk::Value::integer(12));
  pk::Dict all2;
  all2.add(pk::Value::tuple({pk::Value::str("cifar10"), pk::Value::integer(777)}),
           pk::Value::dict(record));
  pk::Dict seeds;
  seeds.add("cifar10", pk::Value::list({pk::Value::integer(888)}));
  pk::Dict result2;
  result2.add("arch_index", pk::Value::integer(0));
  result2.add("all_results", pk::Value::dict(all2));
  result2.add("dataset_seed", pk::Value::dict(seeds));
  pk::Dict info2;
  info2.add("12", pk::Value::dict(result2));
  const auto missing_record = write("missing-record.pickle.pbz2", pk::Value::dict(info2));
  CHECK_THROWS_WITH(read_arch_file(missing_record), Catch::Contains("(cifar10, 888)"));
  fs::remove_all(dir);
}
