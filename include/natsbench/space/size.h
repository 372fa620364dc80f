#pragma once
// The size search space (sss): 5 channel counts from {8, 16, ..., 64}, 32,768 configurations,
// indexed without shuffle, c0 most significant (docs/networks.md §3.1).
#include <string>
#include <string_view>
#include <vector>

namespace natsbench {

// Parses "c0:c1:..." as the network builder accepts it: positive widths, a count L with
// L mod 3 == 2 (N = L div 3 cells per stage). Throws ArgError.
std::vector<int> parse_channels(std::string_view text);
std::string format_channels(const std::vector<int>& channels);

class SizeSpace {
 public:
  static constexpr int kNumArchs = 32768;
  static constexpr int kNumLayers = 5;
  static constexpr int kChannelStep = 8;  // candidates 8, 16, ..., 64
  static constexpr int kNumCandidates = 8;

  static const SizeSpace& get();

  int size() const { return kNumArchs; }
  std::string arch(int index) const;
  std::vector<int> channels(int index) const;
  // Official index of an exact canonical string ("8:16:24:32:40"), or -1.
  int index_of(std::string_view arch) const;
  // As index_of, but throws ArgError naming the string.
  int require_index(std::string_view arch) const;

 private:
  SizeSpace() = default;
  static int check(int index);
};

}  // namespace natsbench
