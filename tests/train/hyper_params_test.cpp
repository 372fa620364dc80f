// Hyper-parameter sets (docs/training.md §5.1) and the learning-rate schedule (§5.6, §9.2).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "../data/data_test_util.h"
#include "natsbench/train/hyper_params.h"
#include "natsbench/util/error.h"

namespace train = natsbench::train;
using natsbench::ArgError;

namespace {

std::string config_text(int epochs) {
  return "epochs: " + std::to_string(epochs) +
         "\nbatch_size: 256\noptimizer:\n  name: SGD\n  lr: 0.1\n  momentum: 0.9\n"
         "  nesterov: true\n  weight_decay: 0.0005\nscheduler:\n  name: cos\n  eta_min: 0.0\n"
         "  warmup: 0\ncriterion: Softmax\n";
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  text.replace(text.find(from), from.size(), to);
  return text;
}

std::string parse_error(const std::string& text) {
  try {
    train::parse_hyper_params(text, "my.yaml", "my");
  } catch (const ArgError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("the four benchmark sets: docs/training.md §5.1 values, identical except epochs",
          "[train]") {
  const std::vector<std::pair<std::string, int>> sets = {
      {"01", 1}, {"12", 12}, {"90", 90}, {"200", 200}};
  for (const auto& [name, epochs] : sets) {
    const train::HyperParams hp = train::load_hyper_params(name);
    CHECK(hp.name == name);
    CHECK(hp.epochs == epochs);
    CHECK(hp.total_epochs() == epochs);
    CHECK(hp.batch_size == 256);
    CHECK(hp.lr == 0.1);
    CHECK(hp.momentum == 0.9);
    CHECK(hp.nesterov);
    CHECK(hp.weight_decay == 0.0005);
    CHECK(hp.eta_min == 0.0);
    CHECK(hp.warmup == 0);
  }
  CHECK(train::load_hyper_params("12E") == train::load_hyper_params("12"));
  CHECK(train::load_hyper_params("1") == train::load_hyper_params("01"));
  CHECK(train::load_hyper_params("01E").epochs == 1);
}

TEST_CASE("configs/hyper-opts files are the compiled-in sets", "[train]") {
  for (const auto& name : train::benchmark_hyper_param_names()) {
    const std::string path = std::string(NATSBENCH_CONFIG_DIR) + "/hyper-opts/" + name + "E.yaml";
    train::HyperParams from_file = train::load_hyper_params(path);
    CHECK(from_file.name == name + "E");  // a file's set is named after its stem
    from_file.name = name;
    CHECK(from_file == train::load_hyper_params(name));
  }
}

TEST_CASE("a user's YAML file, and clear errors for bad ones", "[train]") {
  natsbench::testing::TempDir dir("hp");
  const std::string path = dir.str() + "/3E-warm.yaml";
  std::ofstream(path) << replaced(config_text(3), "warmup: 0", "warmup: 2");
  const train::HyperParams hp = train::load_hyper_params(path);
  CHECK(hp.name == "3E-warm");
  CHECK(hp.epochs == 3);
  CHECK(hp.warmup == 2);
  CHECK(hp.total_epochs() == 5);

  CHECK_THROWS_WITH(train::load_hyper_params(dir.str() + "/missing.yaml"),
                    Catch::Contains("missing.yaml") && Catch::Contains("no such file"));
  CHECK_THROWS_WITH(train::load_hyper_params("13"), Catch::Contains("01, 12, 90, 200"));
  CHECK_THAT(parse_error("epochs: [1, 2"), Catch::Contains("my.yaml: not valid YAML"));
  CHECK_THAT(parse_error(config_text(12) + "dropout: 0.1\n"),
             Catch::Contains("my.yaml: dropout: unknown field"));
  CHECK_THAT(parse_error(replaced(config_text(12), "  lr: 0.1\n", "")),
             Catch::Contains("optimizer.lr: missing"));
  CHECK_THAT(parse_error(replaced(config_text(12), "epochs: 12", "epochs: 0")),
             Catch::Contains("epochs: expected an integer >= 1"));
  CHECK_THAT(parse_error(replaced(config_text(12), "epochs: 12", "epochs: twelve")),
             Catch::Contains("epochs: expected an integer"));
  CHECK_THAT(parse_error(replaced(config_text(12), "lr: 0.1", "lr: -1")),
             Catch::Contains("optimizer.lr: expected a number > 0"));
  CHECK_THAT(parse_error(replaced(config_text(12), "momentum: 0.9", "momentum: 1.5")),
             Catch::Contains("optimizer.momentum"));
  CHECK_THAT(parse_error(replaced(config_text(12), "name: SGD", "name: Adam")),
             Catch::Contains("optimizer.name: expected SGD"));
  CHECK_THAT(parse_error(replaced(config_text(12), "name: cos", "name: step")),
             Catch::Contains("scheduler.name: expected cos"));
  CHECK_THAT(parse_error(replaced(config_text(12), "nesterov: true", "nesterov: maybe")),
             Catch::Contains("optimizer.nesterov: expected true or false"));
  CHECK_THAT(parse_error(replaced(config_text(12), "Softmax", "LabelSmoothing")),
             Catch::Contains("criterion: expected Softmax"));
  CHECK_THAT(parse_error("- 1\n- 2\n"), Catch::Contains("expected a mapping"));
  // A repeated key is refused, at the top and inside a section (issue 15: "epochs: 1" then
  // "epochs: 2" was taken silently).
  CHECK_THAT(parse_error(replaced(config_text(12), "epochs: 12", "epochs: 1\nepochs: 2")),
             Catch::Contains("my.yaml: epochs: given twice"));
  CHECK_THAT(parse_error(replaced(config_text(12), "  lr: 0.1\n", "  lr: 0.1\n  lr: 0.2\n")),
             Catch::Contains("optimizer.lr: given twice"));
}

TEST_CASE("learning rate per epoch equals docs/training.md §9.2 exactly, constant within an epoch",
          "[train]") {
  const train::HyperParams hp12 = train::load_hyper_params("12");
  const std::vector<double> table12 = {0.1,
                                       0.09829629131445342,
                                       0.09330127018922195,
                                       0.08535533905932738,
                                       0.07500000000000001,
                                       0.06294095225512604,
                                       0.05,
                                       0.03705904774487397,
                                       0.025000000000000012,
                                       0.014644660940672627,
                                       0.006698729810778065,
                                       0.00170370868554659};
  for (int e = 0; e < 12; ++e) {
    CHECK(train::learning_rate(hp12, e) == table12[e]);
    for (std::int64_t i : {0, 50, 97, 195})
      CHECK(train::learning_rate(hp12, e, i, 196) == table12[e]);
  }
  const train::HyperParams hp200 = train::load_hyper_params("200");
  const std::vector<std::pair<int, double>> table200 = {{0, 0.1},
                                                        {1, 0.09999383162408304},
                                                        {2, 0.09997532801828658},
                                                        {5, 0.0998458666866564},
                                                        {10, 0.0993844170297569},
                                                        {50, 0.08535533905932738},
                                                        {89, 0.058596455013970476},
                                                        {100, 0.05},
                                                        {150, 0.014644660940672627},
                                                        {198, 2.467198171342e-05},
                                                        {199, 6.168375916970615e-06}};
  for (const auto& [e, lr] : table200) {
    CHECK(train::learning_rate(hp200, e) == lr);
    CHECK(train::learning_rate(hp200, e, 97, 98) == lr);
  }
  const train::HyperParams hp90 = train::load_hyper_params("90");
  const std::vector<std::pair<int, double>> table90 = {
      {0, 0.1},   {1, 0.0999695413509548},    {10, 0.09698463103929543},
      {45, 0.05}, {50, 0.041317591116653486}, {89, 3.0458649045211895e-05}};
  for (const auto& [e, lr] : table90) CHECK(train::learning_rate(hp90, e) == lr);
  CHECK(train::learning_rate(train::load_hyper_params("01"), 0) == 0.1);
}

TEST_CASE("warm-up ramps per iteration, as the reference scheduler does", "[train]") {
  train::HyperParams hp = train::load_hyper_params("12");
  hp.warmup = 2;
  CHECK(train::learning_rate(hp, 0, 0, 100) == 0.0);
  CHECK(train::learning_rate(hp, 0, 50, 100) == Approx(0.025).epsilon(1e-15));
  CHECK(train::learning_rate(hp, 1, 0, 100) == Approx(0.05).epsilon(1e-15));
  // After warm-up the cosine starts at the base rate, shifted by the warm-up epochs.
  CHECK(train::learning_rate(hp, 2, 0, 100) == 0.1);
  CHECK(train::learning_rate(hp, 2, 60, 100) == 0.1);
  // The reference's quirk, kept: epochs from `epochs` on (the last `warmup` ones) stay at eta_min.
  CHECK(train::learning_rate(hp, 12, 0, 100) == 0.0);
  CHECK(train::learning_rate(hp, 13, 0, 100) == 0.0);
}
