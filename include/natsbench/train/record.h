#pragma once
// The run record: one self-describing JSON document per (space, arch, hp, seed, dataset), written
// atomically. Per-dataset field names follow the reference's raw result file (docs/training.md
// §5.11): train_losses/train_acc1es/train_acc5es/train_times/learning_rates are lists indexed by
// epoch, valid_* map "<eval set>@<epoch>" to a value, flop/param in millions.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "natsbench/space/arch.h"
#include "natsbench/train/hyper_params.h"
#include "natsbench/train/metrics.h"

namespace natsbench::train {

inline constexpr int kRecordSchema = 1;

struct EpochRecord {
  double lr = 0;
  EpochMetrics train;
  std::vector<std::pair<std::string, EpochMetrics>> eval;  // evaluation order
};

// What identifies a run; a checkpoint or record of another spec is never resumed from.
struct RunSpec {
  ArchConfig arch;
  HyperParams hp;
  std::uint64_t seed = 0;
  std::string dataset;
  std::int64_t max_batches = 0;  // 0 = every batch (a benchmark run)
  bool deterministic = true;
};

struct RunRecord {
  std::string status;  // "complete" or "failed"
  int failed_epoch = -1;
  std::string failure;
  RunSpec spec;
  std::string device;
  std::int64_t train_images = 0;
  std::vector<std::pair<std::string, std::int64_t>> eval_images;
  std::int64_t train_batches = 0;  // per epoch, after --max-batches
  double flop = 0, param = 0;      // millions (docs/training.md §5.3)
  std::optional<double> latency;   // seconds per batch of 256, measured after training
  std::vector<EpochRecord> epochs;
  nlohmann::json environment;
  // {epoch, batch, at, device, concurrent_runs, cuda_graphs} per resume
  nlohmann::json resumes = nlohmann::json::array();
  std::string started, finished;  // UTC, ISO 8601
};

nlohmann::json net_config(const ArchConfig& arch, int num_classes);
nlohmann::json spec_json(const RunSpec& spec);
nlohmann::json to_json(const RunRecord& record);
// Throws Error naming `source` when a field is missing or has the wrong type.
RunRecord record_from_json(const nlohmann::json& j, const std::string& source);

// Where a run's files go under an output directory:
// OUT/<space>/hp-<hp>/arch-<index:06d>/seed-<seed:04d>-<dataset>.{json,ckpt,pt}
struct RunPaths {
  std::string record, checkpoint, weights;
};
RunPaths run_paths(const std::string& out_dir, const RunSpec& spec);

std::string utc_now_iso8601();

}  // namespace natsbench::train
