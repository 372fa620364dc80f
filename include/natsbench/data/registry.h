#pragma once
// The benchmark datasets, one row each: every fact a stage needs about a dataset (where its
// images come from, its classes and image side, how its train and eval sets are cut, which sets
// report validation and test accuracy, the splits and budgets of the search algorithms, the seeds
// of the released benchmark). Torch-free, in the core library: the readers (data/datasets.h), the
// trainer, sweep plans, collect, the query API and the search algorithms all look facts up here.
//
// Adding a dataset = one row in registry.cpp (+ a SourceInfo row and a reader when its files have
// a new layout). docs/training.md §1-§4 and docs/nas-algorithms.md §2.1, §6, §9.2 hold the facts.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "natsbench/space/arch.h"

namespace natsbench::data {

// One download of images: a set of files on disk.
enum class Source { Cifar10, Cifar100, ImageNet16 };

struct OfficialFile {
  std::string_view name;  // relative to the source's folder
  std::string_view md5;
};

// Per-channel mean and std of the normalisation (the x255 constants / 255, as doubles).
struct Normalization {
  std::array<double, 3> mean{}, std{};
};

struct SourceInfo {
  Source id;
  std::string_view name;                  // "cifar10", "cifar100", "imagenet16"
  std::string_view title;                 // in messages: "CIFAR-10"
  std::vector<std::string_view> aliases;  // other accepted spellings
  int side;                               // square images, 3 channels
  int classes_in_files;                   // labels stored in the files
  Normalization norm;
  // The python (pickle) layout: ROOT/<python_folder>/<files>.
  std::string_view python_folder;
  std::vector<std::string_view> python_train_files, python_test_files;
  std::string_view label_key;  // "labels" or "fine_labels"
  // The CIFAR binary layout (empty folder: none).
  std::string_view binary_folder;
  std::vector<std::string_view> binary_train_files, binary_test_files;
  std::vector<OfficialFile> official_files;  // with their published md5
};

// Which part of a source a set is cut from, and how: the whole part, or the indexes of one list
// of an official split file.
struct SetRecipe {
  enum class Part { Train, Test } part = Part::Train;
  std::string_view split_file;  // stem of the split file ("cifar-split"); empty = the whole part
  std::string_view split_key;   // the list in it ("train", "valid", "xvalid", "xtest")
  bool is_subset() const { return !split_file.empty(); }
};

struct EvalSetInfo {
  std::string_view name;  // "ori-test", "x-valid", "x-test"
  SetRecipe recipe;
  std::int64_t official_size;
};

// Where a reported accuracy is read: an eval set of a dataset.
struct SetRef {
  std::string_view dataset, eval_set;
};

// A group of get_more_info's dict ("valid", "test", "valtest") and the eval set it reports.
struct InfoGroup {
  std::string_view group, eval_set;
  bool required;  // the query fails without it; optional groups are dropped when missing
};

// What the search algorithms use a dataset for.
struct SearchInfo {
  SetRef valid, test;             // the reported accuracies (docs/nas-algorithms.md §9.2)
  SetRecipe weight_split;         // weight-sharing: the images the supernet weights train on
  SetRecipe arch_split;           // ... and the images the architecture is chosen on (§2.1)
  double tss_budget, sss_budget;  // multi-trial: simulated seconds per run (§6)
};

// The seeds the released benchmark trained with for one (space, hp).
struct SeedPreset {
  Space space;
  std::string_view hp;
  std::vector<std::uint64_t> seeds;
};

struct DatasetInfo {
  std::string_view name;  // "cifar10-valid", "cifar10", "cifar100", "ImageNet16-120"
  Source source;
  int num_classes;
  int side;  // square inputs, 3 channels
  int pad;   // zero padding of the random crop
  SetRecipe train;
  std::int64_t official_train_size;
  std::vector<EvalSetInfo> eval_sets;  // evaluation order
  // How get_more_info groups the eval sets, in the order the official API tries them.
  std::vector<InfoGroup> info_groups;
  std::string_view info_comment;     // get_more_info's "comment" ("{hp}" = the hp); empty = none
  std::optional<SearchInfo> search;  // absent: the paper does not search on this dataset
  std::vector<SeedPreset> seeds;     // absent (space, hp): seed 777
};

// Every benchmark dataset, in the order of the official files.
const std::vector<DatasetInfo>& datasets();
// Throws ArgError listing the known names.
const DatasetInfo& dataset(std::string_view name);
// The names joined with ", " (for messages and help texts); `searchable`: only those with search,
// the last one after " or ".
std::string dataset_names(bool searchable = false);
// The dataset `name`, or nullptr (a benchmark file may hold a dataset of its own).
const DatasetInfo* find_dataset(std::string_view name);
// The dataset's eval set `name`, or nullptr.
const EvalSetInfo* find_eval_set(const DatasetInfo& info, std::string_view name);
// The get_more_info group that reports `ref` ("valid", "test", "valtest"); throws Error when none.
std::string_view info_group_of(const SetRef& ref);
// The searchable dataset `name`; throws ArgError naming `what` and the searchable names.
const DatasetInfo& searchable_dataset(std::string_view name, std::string_view what);

// The seeds of the released benchmark for (space, hp, dataset) (docs/training.md §0, §5.1).
std::vector<std::uint64_t> preset_seeds(Space space, std::string_view hp, std::string_view dataset);

const std::vector<SourceInfo>& sources();
const SourceInfo& source_info(Source source);
// A source by name or alias (also a dataset name: its source). Throws ArgError.
Source parse_source(std::string_view name);
std::string_view source_name(Source source);

}  // namespace natsbench::data
