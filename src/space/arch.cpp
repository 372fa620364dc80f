#include "natsbench/space/arch.h"

#include <charconv>

#include "natsbench/space/size.h"
#include "natsbench/util/error.h"

namespace natsbench {

std::string_view space_name(Space space) {
  return space == Space::Topology ? "tss" : "sss";
}

Space parse_space(std::string_view name) {
  if (name == "tss" || name == "topology") return Space::Topology;
  if (name == "sss" || name == "size") return Space::Size;
  throw ArgError("space '" + std::string(name) + "': expected tss or sss");
}

int space_size(Space space) {
  return space == Space::Topology ? TopologySpace::kNumArchs : SizeSpace::kNumArchs;
}

int parse_index(std::string_view text, std::string_view what) {
  int value = -1;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || value < 0) {
    throw ArgError(std::string(what) + " '" + std::string(text) +
                   "': expected a non-negative integer");
  }
  return value;
}

ArchConfig arch_from_index(Space space, int index) {
  ArchConfig config;
  config.space = space;
  config.index = index;
  if (space == Space::Topology) {
    const auto& tss = TopologySpace::get();
    config.arch_str = tss.arch(index);
    config.genotype = tss.genotype(index);
  } else {
    const auto& sss = SizeSpace::get();
    config.channels = sss.channels(index);
    config.arch_str = format_channels(config.channels);
    config.genotype = parse_topology(kSizeSpaceGenotype);
  }
  return config;
}

namespace {
bool is_decimal(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}
}  // namespace

ArchConfig lookup_arch(Space space, std::string_view index_or_arch) {
  if (is_decimal(index_or_arch) ||
      (!index_or_arch.empty() && index_or_arch[0] == '-' && is_decimal(index_or_arch.substr(1)))) {
    return arch_from_index(space,
                           parse_index(index_or_arch, std::string(space_name(space)) + " index"));
  }
  const int index = space == Space::Topology ? TopologySpace::get().require_index(index_or_arch)
                                             : SizeSpace::get().require_index(index_or_arch);
  return arch_from_index(space, index);
}

ArchConfig parse_arch(Space space, std::string_view arch) {
  ArchConfig config;
  config.space = space;
  if (space == Space::Topology) {
    config.genotype = parse_topology(arch);
    config.index = TopologySpace::get().index_of(arch);
    config.arch_str = format_topology(config.genotype);
  } else {
    config.channels = parse_channels(arch);
    config.index = SizeSpace::get().index_of(arch);
    config.arch_str = format_channels(config.channels);
    config.genotype = parse_topology(kSizeSpaceGenotype);
  }
  return config;
}

}  // namespace natsbench
