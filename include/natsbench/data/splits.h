#pragma once
// Split files (docs/training.md §3): the AutoDL ".config" format, the four official split files,
// and regeneration of the two that come from a seeded CPython shuffle. No LibTorch.
//
// Format (§3.1): a JSON object whose values are [type, value] pairs; type is "str", "int",
// "bool", "float" or "none"; value is a string or a list of strings. Split files hold only
// "key": ["int", ["i0", "i1", ...]] with strictly increasing lists.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace natsbench::data {

// One entry of a config file, as written: type and the raw string value(s).
struct ConfigEntry {
  std::string key;
  std::string type;  // str, int, bool, float, none
  bool is_list = false;
  std::vector<std::string> values;  // one element when !is_list
};

// Parses the config format. `name` (usually the path) is used in error messages, which give the
// line number and what was expected. Throws Error.
std::vector<ConfigEntry> parse_config(std::string_view text, const std::string& name);

// A split file: named, strictly increasing index lists, in file order.
struct SplitFile {
  std::vector<std::pair<std::string, std::vector<std::int64_t>>> lists;

  // Throws Error naming the key and the keys present.
  const std::vector<std::int64_t>& at(std::string_view key) const;
  bool contains(std::string_view key) const;
};

// Reads a split file: every entry must be an "int" list of non-negative, strictly increasing
// decimal integers. Throws Error naming the file (and line) on any violation.
SplitFile parse_split(std::string_view text, const std::string& name);
SplitFile read_split_file(const std::string& path);

// The official byte layout (two-space indent, padded keys and types, no trailing newline), so
// that a regenerated file has the md5 of the distributed one. Atomic write.
std::string format_split(const SplitFile& split);
void write_split_file(const std::string& path, const SplitFile& split);

// The recipe of §3.3: CPython random.seed(seed), random.shuffle([0..n-1]); the first key gets
// the sorted first n/2 entries, the second key the sorted rest.
SplitFile generate_shuffle_split(std::uint64_t seed, std::int64_t n, const std::string& first_key,
                                 const std::string& second_key);

// Checks that the two lists of `split` (keys a, b) are disjoint and cover 0..n-1 exactly
// (each list is already increasing). Throws Error naming `name` and the first offending index.
void check_partition(const SplitFile& split, std::string_view a, std::string_view b, std::int64_t n,
                     const std::string& name);

// The four official split files (§3.2).
struct SplitInfo {
  std::string_view file;       // e.g. "cifar-split.txt"
  std::string_view first_key;  // "train" / "xvalid"
  std::string_view second_key;
  std::int64_t first_size, second_size;  // 25000 / 25000 ...
  std::int64_t indexes_into;             // size of the set the indexes refer to
  std::string_view md5;                  // of the distributed file
  std::uint64_t seed;                    // CPython seed; 0 with regenerable = false
  bool regenerable;
};
// "cifar-split", "cifar100-test-split", "imagenet-16-120-test-split", "ImageNet16-120-split"
// (with or without ".txt"). Throws ArgError for another name.
const SplitInfo& split_info(std::string_view name);
const std::vector<SplitInfo>& official_splits();

// Regenerates a regenerable official split (cifar-split, ImageNet16-120-split). Throws Error for
// the two test splits, which cannot be regenerated (§3.4).
SplitFile generate_official_split(std::string_view name);

// Loads an official split: `dir`/<file> when `dir` is not empty and the file exists (checked:
// keys, sizes, partition); otherwise regenerates it when possible; otherwise throws Error naming
// the file, the directory searched and where to get it (AutoDL-Projects configs/nas-benchmark/).
SplitFile load_official_split(std::string_view name, const std::string& dir);

}  // namespace natsbench::data
