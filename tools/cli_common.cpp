#include "cli_common.h"

#include <iostream>

#include "natsbench/data/benchmark_data.h"

namespace natsbench::cli {

void print_json(const nlohmann::json& value) {
  std::cout << value.dump() << '\n';
}

void CandidateOptions::add_to(CLI::App& cmd) {
  cmd.add_option("--space", space, "Search space: tss or sss")->required();
  index_option = cmd.add_option("--index", index, "Official index of the candidate");
  arch_option = cmd.add_option("--arch", arch, "Exact canonical arch string (or an index)");
  index_option->excludes(arch_option);
}

ArchConfig CandidateOptions::resolve() const {
  const Space parsed = parse_space(space);
  if (index_option->count() > 0) return arch_from_index(parsed, parse_index(index, "--index"));
  if (arch_option->count() > 0) return lookup_arch(parsed, arch);
  throw ArgError("expected --index N or --arch STR");
}

nlohmann::json checksum_json(const data::BenchmarkData& d, bool verified) {
  if (!verified) return "not verified";
  if (d.layout == "binary") return "no published md5 for the binary layout";
  nlohmann::json files = nlohmann::json::array();
  bool ok = !d.checksums.empty();
  for (const auto& c : d.checksums) {
    files.push_back(
        {{"file", c.file}, {"expected", c.expected}, {"actual", c.actual}, {"ok", c.ok()}});
    ok = ok && c.ok();
  }
  return {{"status", ok ? "ok" : "mismatch"}, {"files", files}};
}

std::string version_string() {
  return std::string("natsbench ") + NATSBENCH_VERSION + " (" + NATSBENCH_GIT_COMMIT + ")";
}

}  // namespace natsbench::cli
