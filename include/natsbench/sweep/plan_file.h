#pragma once
// Plan files: OUT/plans/<hash>.json records what a sweep is meant to cover (identical plans share
// one file), so that `sweep --status` and `collect --check` can tell missing runs from runs that
// were never planned. Written by the sweep, read by status and collect, both through here.
#include <string>
#include <vector>

#include "natsbench/space/arch.h"
#include "natsbench/sweep/plan.h"
#include "natsbench/train/hyper_params.h"

namespace natsbench::sweep {

struct PlanFile {
  std::string path;
  Space space = Space::Topology;
  train::HyperParams hp;
  std::vector<PlannedRun> runs;
};

void write_plan_file(const std::string& out, Space space, const train::HyperParams& hp,
                     const std::vector<PlannedRun>& plan);

// Every plan file under OUT/plans/ (none when the folder is absent), in file-name order. A file
// that is not a natsbench plan raises Error naming it: a damaged plan would otherwise hide the
// runs it lists from the missing-run counts.
std::vector<PlanFile> read_plan_files(const std::string& out);

}  // namespace natsbench::sweep
