#pragma once
// The steps of collect::gather, each testable alone: find the record files of a runs directory,
// parse one into a record at its place, check it against the records before it (one set of
// hyper-parameters per hp, one set of image counts per hp and dataset), check it is usable, tell
// a duplicate of the same run, and derive the missing runs.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "natsbench/space/arch.h"
#include "natsbench/train/record.h"

namespace natsbench::sweep {

// (hp, arch, seed, dataset): one run.
using RunKey = std::tuple<std::string, int, std::uint64_t, std::string>;

// OUT/<space>/hp-<hp>/arch-<index>/<run>.json under `dir`, sorted, with their hp; only the hps
// in `hps` (empty: all).
std::vector<std::pair<std::string, std::string>> find_record_files(
    const std::string& dir, Space space, const std::vector<std::string>& hps);

struct ParsedRecord {
  std::optional<train::RunRecord> record;  // set when usable so far
  std::string problem;                     // why not ("invalid"), else empty
};
// Parses `file` (found under `dir` for `hp`): valid JSON, a run record, of `space`, at the path
// its spec gives.
ParsedRecord parse_record(const std::string& file, const std::string& dir, const std::string& hp,
                          Space space);

// Every record of one hp must share the same hyper-parameters, and every record of one (hp,
// dataset) the same image counts: the first record seen sets them.
class ConsistencyCheck {
 public:
  // Empty when `r` agrees with the records seen before it (and it is then remembered), else why.
  std::string admit(const train::RunRecord& r, const std::string& file);

 private:
  std::map<std::string, std::pair<nlohmann::json, std::string>> params_;  // hp -> (params, file)
  std::map<std::string, std::pair<nlohmann::json, std::string>> sizes_;   // hp/dataset -> sizes
};

// Why a complete record is not usable (epochs missing, eval sets not the dataset's, accuracies
// outside [0, 100], non-finite losses, non-positive costs); empty when it is. Failed records pass.
std::string record_sanity(const train::RunRecord& r);

// Whether two records of one run hold the same results (times, environment and device aside).
bool same_run(const train::RunRecord& a, const train::RunRecord& b);

// The runs planned but not finished. Without plans: every seed seen for an (hp, dataset) on
// every architecture seen for the hp.
std::vector<RunKey> missing_runs(const std::set<RunKey>& planned, bool have_plans,
                                 const std::set<RunKey>& finished);

}  // namespace natsbench::sweep
