#include "natsbench/data/benchmark_data.h"

#include <ATen/ATen.h>

#include <map>

#include "natsbench/data/splits.h"
#include "natsbench/util/error.h"

namespace natsbench::data {

namespace {

ImageSet subset(const ImageSet& set, const std::vector<std::int64_t>& indexes,
                const std::string& split_name, std::string_view key) {
  if (!indexes.empty() && indexes.back() >= set.size()) {
    throw Error("split '" + split_name + "' list \"" + std::string(key) + "\" has index " +
                std::to_string(indexes.back()) + " beyond the set of " +
                std::to_string(set.size()) + " images (a split file for other data?)");
  }
  const at::Tensor idx =
      at::tensor(at::ArrayRef<std::int64_t>(indexes.data(), indexes.size()), at::kLong);
  return {set.images.index_select(0, idx).contiguous(), set.labels.index_select(0, idx)};
}

// The split files a dataset's sets are cut from, each read and checked once.
class SplitCache {
 public:
  SplitCache(const SourceData& source, const std::string& dir) : source_(source), dir_(dir) {}

  ImageSet cut(const SetRecipe& recipe) {
    const ImageSet& whole = recipe.part == SetRecipe::Part::Train ? source_.train : source_.test;
    if (!recipe.is_subset()) return whole;
    auto it = files_.find(recipe.split_file);
    const SplitInfo& info = split_info(recipe.split_file);
    if (it == files_.end()) {
      SplitFile split = load_official_split(recipe.split_file, dir_);
      const std::string where =
          dir_.empty() ? std::string(info.file) : dir_ + "/" + std::string(info.file);
      check_partition(split, info.first_key, info.second_key, whole.size(), where);
      it = files_.emplace(recipe.split_file, std::move(split)).first;
    }
    return subset(whole, it->second.at(std::string(recipe.split_key)), std::string(info.file),
                  recipe.split_key);
  }

 private:
  const SourceData& source_;
  const std::string& dir_;
  std::map<std::string_view, SplitFile> files_;
};

}  // namespace

const ImageSet& BenchmarkData::eval_set(std::string_view set_name) const {
  for (const auto& [n, set] : eval_sets) {
    if (n == set_name) return set;
  }
  throw Error("dataset " + name + " has no evaluation set '" + std::string(set_name) + "'");
}

BenchmarkData make_benchmark_data(std::string_view name, const SourceData& source,
                                  const std::string& splits_dir) {
  const DatasetInfo& info = dataset(name);
  if (source.source != info.source) {
    throw ArgError("dataset " + std::string(name) + " needs " +
                   std::string(source_name(info.source)) + " data, got " +
                   std::string(source_name(source.source)));
  }
  BenchmarkData out;
  out.name = std::string(info.name);
  out.num_classes = info.num_classes;
  out.input_shape = {3, info.side, info.side};
  out.pad = info.pad;
  out.norm = source_info(info.source).norm;
  out.layout = source.layout;
  out.checksums = source.checksums;
  out.warnings = source.warnings;
  SplitCache splits(source, splits_dir);
  out.train = splits.cut(info.train);
  out.official_sizes = out.train.size() == info.official_train_size;
  for (const EvalSetInfo& set : info.eval_sets) {
    out.eval_sets.emplace_back(std::string(set.name), splits.cut(set.recipe));
    out.official_sizes =
        out.official_sizes && out.eval_sets.back().second.size() == set.official_size;
  }
  if (!out.official_sizes) {
    out.warnings.push_back(
        "set sizes differ from the official ones (docs/training.md §4): not "
        "the official data");
  }
  return out;
}

BenchmarkData load_benchmark_data(std::string_view name, const DataOptions& options) {
  const DatasetInfo& info = dataset(name);
  ReadOptions read;
  read.verify = options.verify;
  const SourceData source = read_source(info.source, options.root, read);
  return make_benchmark_data(name, source, options.splits_dir);
}

SearchData load_search_data(std::string_view name, const DataOptions& options) {
  const DatasetInfo& info = searchable_dataset(name, "search");
  ReadOptions read;
  read.verify = options.verify;
  const SourceData source = read_source(info.source, options.root, read);
  SearchData out;
  out.name = std::string(info.name);
  out.num_classes = info.num_classes;
  out.pad = info.pad;
  out.norm = source_info(info.source).norm;
  out.warnings = source.warnings;
  SplitCache splits(source, options.splits_dir);
  out.weight_split = splits.cut(info.search->weight_split);
  out.arch_split = splits.cut(info.search->arch_split);
  return out;
}

void move_to_device(BenchmarkData& data, const c10::Device& device) {
  const auto move = [&](ImageSet& set) {
    set.images = set.images.to(device);
    set.labels = set.labels.to(device);
  };
  move(data.train);
  for (auto& [name, set] : data.eval_sets) move(set);
}

}  // namespace natsbench::data
