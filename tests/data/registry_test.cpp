#include "natsbench/data/registry.h"

#include <catch2/catch.hpp>

#include "natsbench/data/splits.h"
#include "natsbench/util/error.h"

using namespace natsbench;

TEST_CASE("registry: the four benchmark datasets, their sets and sizes (docs/training.md §4)",
          "[data][registry]") {
  const auto& rows = data::datasets();
  REQUIRE(rows.size() == 4);
  CHECK(rows[0].name == "cifar10-valid");
  CHECK(rows[1].name == "cifar10");
  CHECK(rows[2].name == "cifar100");
  CHECK(rows[3].name == "ImageNet16-120");
  CHECK(data::dataset_names() == "cifar10-valid, cifar10, cifar100, ImageNet16-120");

  const auto& c10v = data::dataset("cifar10-valid");
  CHECK(c10v.num_classes == 10);
  CHECK(c10v.side == 32);
  CHECK(c10v.pad == 4);
  CHECK(c10v.official_train_size == 25000);
  CHECK(c10v.train.is_subset());
  REQUIRE(c10v.eval_sets.size() == 2);
  CHECK(c10v.eval_sets[0].name == "ori-test");
  CHECK_FALSE(c10v.eval_sets[0].recipe.is_subset());
  CHECK(c10v.eval_sets[1].name == "x-valid");
  CHECK(c10v.eval_sets[1].recipe.split_key == "valid");
  CHECK(c10v.eval_sets[1].official_size == 25000);

  CHECK(data::dataset("cifar10").official_train_size == 50000);
  CHECK(data::dataset("cifar100").num_classes == 100);
  CHECK(data::dataset("cifar100").eval_sets.back().official_size == 5000);
  const auto& in16 = data::dataset("ImageNet16-120");
  CHECK(in16.num_classes == 120);
  CHECK(in16.side == 16);
  CHECK(in16.pad == 2);
  CHECK(in16.official_train_size == 151700);
  CHECK(in16.eval_sets[0].official_size == 6000);

  CHECK_THROWS_AS(data::dataset("cifar10_valid"), ArgError);
  CHECK_THROWS_WITH(data::dataset("imagenet"),
                    Catch::Contains("dataset 'imagenet': expected one of cifar10-valid"));
  CHECK(data::find_dataset("mnist") == nullptr);
}

TEST_CASE("registry: every split a recipe names exists, and its lists index the right part",
          "[data][registry]") {
  for (const auto& d : data::datasets()) {
    INFO(d.name);
    const auto& source = data::source_info(d.source);
    CHECK(d.side == source.side);
    std::vector<data::SetRecipe> recipes = {d.train};
    for (const auto& e : d.eval_sets) recipes.push_back(e.recipe);
    if (d.search) recipes.insert(recipes.end(), {d.search->weight_split, d.search->arch_split});
    for (const auto& r : recipes) {
      if (!r.is_subset()) continue;
      const data::SplitInfo& split = data::split_info(r.split_file);
      CHECK((r.split_key == split.first_key || r.split_key == split.second_key));
    }
  }
  // The split sizes agree with the sets they index (docs/training.md §3.2).
  CHECK(data::split_info("cifar-split").indexes_into == 50000);
  CHECK(data::split_info("cifar100-test-split").indexes_into ==
        data::dataset("cifar100").eval_sets[0].official_size);
  CHECK(data::split_info("imagenet-16-120-test-split").indexes_into ==
        data::dataset("ImageNet16-120").eval_sets[0].official_size);
}

TEST_CASE("registry: get_more_info groups and the reported accuracies of a search",
          "[data][registry]") {
  const auto& c10v = data::dataset("cifar10-valid");
  REQUIRE(c10v.info_groups.size() == 2);
  CHECK(c10v.info_groups[0].group == "valid");
  CHECK(c10v.info_groups[0].required);
  CHECK(c10v.info_comment.find("{hp}") != std::string_view::npos);
  CHECK(data::dataset("cifar100").info_comment.empty());
  CHECK(data::dataset("ImageNet16-120").info_groups[2].group == "valtest");

  CHECK_FALSE(c10v.search);
  CHECK(data::dataset_names(true) == "cifar10, cifar100 or ImageNet16-120");
  const auto& c10 = *data::dataset("cifar10").search;
  CHECK(c10.valid.dataset == "cifar10-valid");
  CHECK(data::info_group_of(c10.valid) == "valid");
  CHECK(data::info_group_of(c10.test) == "test");
  CHECK(data::info_group_of(data::dataset("cifar100").search->test) == "test");
  CHECK(c10.tss_budget == 20000);
  CHECK(data::dataset("ImageNet16-120").search->tss_budget == 120000);
  CHECK(data::dataset("ImageNet16-120").search->sss_budget == 60000);
  CHECK_THROWS_WITH(data::searchable_dataset("cifar10-valid", "search"),
                    Catch::Contains("search: dataset 'cifar10-valid': expected cifar10, cifar100 "
                                    "or ImageNet16-120"));
}

TEST_CASE("registry: image sources by name and alias, with their files", "[data][registry]") {
  CHECK(data::parse_source("cifar10") == data::Source::Cifar10);
  CHECK(data::parse_source("cifar10-valid") == data::Source::Cifar10);
  CHECK(data::parse_source("ImageNet16-120") == data::Source::ImageNet16);
  CHECK_THROWS_WITH(data::parse_source("mnist"),
                    Catch::Contains("dataset 'mnist': expected cifar10, cifar100 or imagenet16"));
  const auto& c10 = data::source_info(data::Source::Cifar10);
  CHECK(c10.python_train_files.size() == 5);
  CHECK(c10.binary_train_files.size() == 5);
  CHECK(c10.official_files.size() == 7);
  CHECK(data::source_info(data::Source::ImageNet16).python_train_files.size() == 10);
  CHECK(data::source_info(data::Source::ImageNet16).binary_folder.empty());
  CHECK(data::source_info(data::Source::Cifar100).label_key == "fine_labels");
  CHECK(data::source_info(data::Source::Cifar100).norm.mean[1] == 0.48666666666666664);
  for (const auto& s : data::sources()) CHECK(data::source_name(s.id) == s.name);
}
