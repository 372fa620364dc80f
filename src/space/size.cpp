#include "natsbench/space/size.h"

#include <charconv>

#include "natsbench/util/error.h"

namespace natsbench {

namespace {
std::string quoted(std::string_view text) {
  return "'" + std::string(text) + "'";
}

// Splits on ':' and parses each field as a positive decimal; nullopt-like empty on failure.
bool parse_fields(std::string_view text, std::vector<int>& out) {
  out.clear();
  std::size_t start = 0;
  while (true) {
    const auto end = text.find(':', start);
    const auto field = text.substr(start, end == std::string_view::npos ? end : end - start);
    int value = 0;
    const auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (field.empty() || ec != std::errc() || ptr != field.data() + field.size() || value <= 0) {
      return false;
    }
    out.push_back(value);
    if (end == std::string_view::npos) return true;
    start = end + 1;
  }
}
}  // namespace

std::vector<int> parse_channels(std::string_view text) {
  std::vector<int> channels;
  if (!parse_fields(text, channels)) {
    throw ArgError("channel string " + quoted(text) +
                   ": expected positive integers separated by ':' such as 8:16:24:32:40");
  }
  if (channels.size() % 3 != 2) {
    throw ArgError("channel string " + quoted(text) + ": expected 3N+2 widths (5 for sss), got " +
                   std::to_string(channels.size()));
  }
  return channels;
}

std::string format_channels(const std::vector<int>& channels) {
  std::string text;
  for (std::size_t i = 0; i < channels.size(); ++i) {
    if (i > 0) text += ':';
    text += std::to_string(channels[i]);
  }
  return text;
}

const SizeSpace& SizeSpace::get() {
  static const SizeSpace space;
  return space;
}

int SizeSpace::check(int index) {
  if (index < 0 || index >= kNumArchs) {
    throw ArgError("sss index " + std::to_string(index) + ": expected 0.." +
                   std::to_string(kNumArchs - 1));
  }
  return index;
}

std::vector<int> SizeSpace::channels(int index) const {
  check(index);
  std::vector<int> channels(kNumLayers);
  for (int k = kNumLayers - 1; k >= 0; --k) {
    channels[k] = (index % kNumCandidates + 1) * kChannelStep;
    index /= kNumCandidates;
  }
  return channels;
}

std::string SizeSpace::arch(int index) const {
  return format_channels(channels(index));
}

int SizeSpace::index_of(std::string_view arch) const {
  std::vector<int> channels;
  if (!parse_fields(arch, channels) || channels.size() != kNumLayers) return -1;
  int index = 0;
  for (int c : channels) {
    if (c % kChannelStep != 0 || c / kChannelStep < 1 || c / kChannelStep > kNumCandidates) {
      return -1;
    }
    index = index * kNumCandidates + (c / kChannelStep - 1);
  }
  // Exact-string semantics: "08:8:..." or "+8" parse to the same numbers but are not listed.
  return format_channels(channels) == arch ? index : -1;
}

int SizeSpace::require_index(std::string_view arch) const {
  const int index = index_of(arch);
  if (index < 0) {
    throw ArgError("arch string " + quoted(arch) +
                   " is not a canonical sss architecture: expected 5 widths from "
                   "{8,16,24,32,40,48,56,64} separated by ':', such as 8:16:24:32:40");
  }
  return index;
}

}  // namespace natsbench
