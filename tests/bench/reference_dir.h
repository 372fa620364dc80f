#pragma once
// Tests that read the official sample files find them through NATSBENCH_REFERENCE_DIR
// (.ci/run sets it to ../shared/reference) and skip, saying so, when it is unset.
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

namespace natsbench::testing {

inline std::optional<std::filesystem::path> reference_dir() {
  const char* dir = std::getenv("NATSBENCH_REFERENCE_DIR");
  if (dir == nullptr || *dir == '\0') return std::nullopt;
  return std::filesystem::path(dir);
}

inline std::optional<std::filesystem::path> official_sample_dir(const std::string& space) {
  const auto root = reference_dir();
  if (!root) return std::nullopt;
  return *root / "official-samples" /
         (space == "tss" ? "NATS-tss-v1_0-3ffb9-simple" : "NATS-sss-v1_0-50262-simple");
}

}  // namespace natsbench::testing

#define NATSBENCH_REQUIRE_SAMPLES(dir_var, space)                                         \
  const auto dir_var = natsbench::testing::official_sample_dir(space);                    \
  if (!dir_var) {                                                                         \
    WARN("NATSBENCH_REFERENCE_DIR is unset: skipping this test on the official samples"); \
    return;                                                                               \
  }
