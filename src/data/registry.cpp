#include "natsbench/data/registry.h"

#include <algorithm>

#include "natsbench/util/error.h"

namespace natsbench::data {

namespace {

using Part = SetRecipe::Part;

constexpr SetRecipe kWholeTrain{Part::Train, "", ""};
constexpr SetRecipe kWholeTest{Part::Test, "", ""};

constexpr std::string_view kCifar10Comment =
    "In this dict, train-loss/accuracy/time is the metric on the train+valid sets of CIFAR-10. "
    "The test-loss/accuracy/time is the performance of the CIFAR-10 test set after training on "
    "the train+valid sets by {hp} epochs. The per-time and total-time indicate the per epoch and "
    "total time costs, respectively.";
constexpr std::string_view kCifar10ValidComment =
    "In this dict, train-loss/accuracy/time is the metric on the train set of CIFAR-10. The "
    "test-loss/accuracy/time is the performance of the CIFAR-10 test set after training on the "
    "train set by {hp} epochs. The per-time and total-time indicate the per epoch and total time "
    "costs, respectively.";

// The released benchmark's seeds (docs/training.md §0, §5.1): tss 200 -> 777, 888, 999; tss 12 ->
// 111
// (+ 777 for cifar10-valid); sss 12 -> 777, 888, 999; everything else 777.
std::vector<SeedPreset> released_seeds(bool cifar10_valid) {
  std::vector<SeedPreset> seeds = {{Space::Topology, "200", {777, 888, 999}},
                                   {Space::Topology, "12", {111}},
                                   {Space::Size, "12", {777, 888, 999}}};
  if (cifar10_valid) seeds[1].seeds = {111, 777};
  return seeds;
}

}  // namespace

const std::vector<SourceInfo>& sources() {
  static const std::vector<SourceInfo> rows = {
      {Source::Cifar10,
       "cifar10",
       "CIFAR-10",
       {"cifar10-valid"},
       32,
       10,
       {{125.3 / 255, 123.0 / 255, 113.9 / 255}, {63.0 / 255, 62.1 / 255, 66.7 / 255}},
       "cifar-10-batches-py",
       {"data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5"},
       {"test_batch"},
       "labels",
       "cifar-10-batches-bin",
       {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
        "data_batch_5.bin"},
       {"test_batch.bin"},
       {{"data_batch_1", "c99cafc152244af753f735de768cd75f"},
        {"data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"},
        {"data_batch_3", "54ebc095f3ab1f0389bbae665268c751"},
        {"data_batch_4", "634d18415352ddfa80567beed471001a"},
        {"data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"},
        {"test_batch", "40351d587109b95175f43aff81a1287e"},
        {"batches.meta", "5ff9c542aee3614f3951f8cda6e48888"}}},
      {Source::Cifar100,
       "cifar100",
       "CIFAR-100",
       {},
       32,
       100,
       {{129.3 / 255, 124.1 / 255, 112.4 / 255}, {68.2 / 255, 65.4 / 255, 70.4 / 255}},
       "cifar-100-python",
       {"train"},
       {"test"},
       "fine_labels",
       "cifar-100-binary",
       {"train.bin"},
       {"test.bin"},
       {{"train", "16019d7e3df5f24257cddd939b257f8d"},
        {"test", "f0ef6b0ae62326f3e7ffdfab6717acfc"},
        {"meta", "7973b15100ade9c7d40fb424638fde48"}}},
      {Source::ImageNet16,
       "imagenet16",
       "ImageNet16",
       {"ImageNet16", "ImageNet16-120"},
       16,
       1000,
       {{122.68 / 255, 116.66 / 255, 104.01 / 255}, {63.22 / 255, 61.26 / 255, 65.09 / 255}},
       "ImageNet16",
       {"train_data_batch_1", "train_data_batch_2", "train_data_batch_3", "train_data_batch_4",
        "train_data_batch_5", "train_data_batch_6", "train_data_batch_7", "train_data_batch_8",
        "train_data_batch_9", "train_data_batch_10"},
       {"val_data"},
       "labels",
       "",
       {},
       {},
       {{"train_data_batch_1", "27846dcaa50de8e21a7d1a35f30f0e91"},
        {"train_data_batch_2", "c7254a054e0e795c69120a5727050e3f"},
        {"train_data_batch_3", "4333d3df2e5ffb114b05d2ffc19b1e87"},
        {"train_data_batch_4", "1620cdf193304f4a92677b695d70d10f"},
        {"train_data_batch_5", "348b3c2fdbb3940c4e9e834affd3b18d"},
        {"train_data_batch_6", "6e765307c242a1b3d7d5ef9139b48945"},
        {"train_data_batch_7", "564926d8cbf8fc4818ba23d2faac7564"},
        {"train_data_batch_8", "f4755871f718ccb653440b9dd0ebac66"},
        {"train_data_batch_9", "bb6dd660c38c58552125b1a92f86b5d4"},
        {"train_data_batch_10", "8f03f34ac4b42271a294f91bf480f29b"},
        {"val_data", "3410e3017fdaefba8d5073aaa65e4bd6"}}},
  };
  return rows;
}

const std::vector<DatasetInfo>& datasets() {
  static const std::vector<DatasetInfo> rows = {
      {"cifar10-valid",
       Source::Cifar10,
       10,
       32,
       4,
       {Part::Train, "cifar-split", "train"},
       25000,
       {{"ori-test", kWholeTest, 10000}, {"x-valid", {Part::Train, "cifar-split", "valid"}, 25000}},
       {{"valid", "x-valid", true}, {"test", "ori-test", false}},
       kCifar10ValidComment,
       std::nullopt,
       released_seeds(true)},
      {"cifar10",
       Source::Cifar10,
       10,
       32,
       4,
       kWholeTrain,
       50000,
       {{"ori-test", kWholeTest, 10000}},
       {{"valid", "x-valid", false}, {"test", "ori-test", false}},
       kCifar10Comment,
       SearchInfo{{"cifar10-valid", "x-valid"},
                  {"cifar10", "ori-test"},
                  {Part::Train, "cifar-split", "train"},
                  {Part::Train, "cifar-split", "valid"},
                  20000,
                  20000},
       released_seeds(false)},
      {"cifar100",
       Source::Cifar100,
       100,
       32,
       4,
       kWholeTrain,
       50000,
       {{"ori-test", kWholeTest, 10000},
        {"x-valid", {Part::Test, "cifar100-test-split", "xvalid"}, 5000},
        {"x-test", {Part::Test, "cifar100-test-split", "xtest"}, 5000}},
       {{"valid", "x-valid", false}, {"test", "x-test", false}, {"valtest", "ori-test", false}},
       "",
       SearchInfo{{"cifar100", "x-valid"},
                  {"cifar100", "x-test"},
                  kWholeTrain,
                  {Part::Test, "cifar100-test-split", "xvalid"},
                  40000,
                  40000},
       released_seeds(false)},
      {"ImageNet16-120",
       Source::ImageNet16,
       120,
       16,
       2,
       kWholeTrain,
       151700,
       {{"ori-test", kWholeTest, 6000},
        {"x-valid", {Part::Test, "imagenet-16-120-test-split", "xvalid"}, 3000},
        {"x-test", {Part::Test, "imagenet-16-120-test-split", "xtest"}, 3000}},
       {{"valid", "x-valid", false}, {"test", "x-test", false}, {"valtest", "ori-test", false}},
       "",
       SearchInfo{{"ImageNet16-120", "x-valid"},
                  {"ImageNet16-120", "x-test"},
                  kWholeTrain,
                  {Part::Test, "imagenet-16-120-test-split", "xvalid"},
                  120000,
                  60000},
       released_seeds(false)},
  };
  return rows;
}

std::string dataset_names(bool searchable) {
  std::vector<std::string_view> names;
  for (const auto& d : datasets())
    if (!searchable || d.search) names.push_back(d.name);
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const bool last = i + 1 == names.size() && i > 0;
    out += (i == 0 ? "" : last && searchable ? " or " : ", ") + std::string(names[i]);
  }
  return out;
}

const DatasetInfo* find_dataset(std::string_view name) {
  for (const auto& d : datasets())
    if (d.name == name) return &d;
  return nullptr;
}

const DatasetInfo& dataset(std::string_view name) {
  if (const DatasetInfo* d = find_dataset(name)) return *d;
  throw ArgError("dataset '" + std::string(name) + "': expected one of " + dataset_names());
}

const DatasetInfo& searchable_dataset(std::string_view name, std::string_view what) {
  for (const auto& d : datasets())
    if (d.name == name && d.search) return d;
  throw ArgError(std::string(what) + ": dataset '" + std::string(name) + "': expected " +
                 dataset_names(true));
}

const EvalSetInfo* find_eval_set(const DatasetInfo& info, std::string_view name) {
  for (const auto& set : info.eval_sets)
    if (set.name == name) return &set;
  return nullptr;
}

std::string_view info_group_of(const SetRef& ref) {
  for (const auto& g : dataset(ref.dataset).info_groups)
    if (g.eval_set == ref.eval_set) return g.group;
  throw Error("dataset " + std::string(ref.dataset) + ": no get_more_info group reports " +
              std::string(ref.eval_set));
}

std::vector<std::uint64_t> preset_seeds(Space space, std::string_view hp,
                                        std::string_view dataset_name) {
  for (const auto& preset : dataset(dataset_name).seeds)
    if (preset.space == space && preset.hp == hp) return preset.seeds;
  return {777};
}

const SourceInfo& source_info(Source source) {
  for (const auto& s : sources())
    if (s.id == source) return s;
  throw Error("unknown image source");  // unreachable: every enumerator has a row
}

Source parse_source(std::string_view name) {
  std::string known;
  const auto& rows = sources();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const SourceInfo& s = rows[i];
    if (s.name == name || std::find(s.aliases.begin(), s.aliases.end(), name) != s.aliases.end())
      return s.id;
    known += (i == 0 ? "" : i + 1 == rows.size() ? " or " : ", ") + std::string(s.name);
  }
  throw ArgError("dataset '" + std::string(name) + "': expected " + known);
}

std::string_view source_name(Source source) {
  return source_info(source).name;
}

}  // namespace natsbench::data
