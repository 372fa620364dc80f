#pragma once
// One candidate of either space, resolved from an index or an arch string, plus the benchmark's
// dataset names (they fix the classifier width and input size of every candidate).
#include <string>
#include <string_view>
#include <vector>

#include "natsbench/space/topology.h"

namespace natsbench {

enum class Space { Topology, Size };

// "tss" / "sss".
std::string_view space_name(Space space);
// Accepts tss|topology and sss|size, as the official API does. Throws ArgError.
Space parse_space(std::string_view name);
int space_size(Space space);

// The cell every sss network uses: tss index 9930 (docs/networks.md §3.2).
inline constexpr std::string_view kSizeSpaceGenotype =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~"
    "2|";

struct ArchConfig {
  Space space = Space::Topology;
  int index = -1;             // official index, -1 for a valid architecture outside the benchmark
  std::string arch_str;       // canonical spelling when index >= 0
  Genotype genotype;          // the cell (the fixed genotype for sss)
  std::vector<int> channels;  // sss: the widths c0..c4; tss: empty (C = 16, N = 5)
};

ArchConfig arch_from_index(Space space, int index);
// A benchmark architecture: a non-negative decimal index or the exact canonical string.
// Throws ArgError naming the text and what was expected.
ArchConfig lookup_arch(Space space, std::string_view index_or_arch);
// Any architecture the network builder accepts (docs/networks.md §1.3 general grammar; sss: 3N+2
// widths). index is set when the text is exactly a benchmark string.
ArchConfig parse_arch(Space space, std::string_view arch);

// Parses a non-negative decimal index; `what` names the argument in the error.
int parse_index(std::string_view text, std::string_view what);

}  // namespace natsbench
