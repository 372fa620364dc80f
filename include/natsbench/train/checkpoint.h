#pragma once
// Checkpoints after every epoch (and on SIGTERM/SIGINT mid-epoch): the model, the optimizer's
// momentum buffers, the generators' states, the position in the run and the metrics so far.
// The LibTorch archive is wrapped in a small envelope carrying its md5, so a truncated or
// corrupted file is detected before anything is restored.
#include <cstdint>
#include <functional>
#include <string>

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include "natsbench/train/record.h"

namespace natsbench::train {

struct CheckpointState {
  RunRecord record;             // the finished epochs (status "running")
  int epoch = 0;                // the epoch in progress
  std::int64_t next_batch = 0;  // its next training batch (== batches: training done, eval next)
  BatchStats partial;           // the training batches [0, next_batch) of `epoch`
  double partial_seconds = 0;   // their training time
};

// Writes atomically (temp file + fsync + rename).
void save_checkpoint(const std::string& path, const torch::nn::Module& model,
                     const torch::optim::Optimizer& optimizer, const CheckpointState& state);

// Thrown when a checkpoint exists but cannot be used (truncated, corrupt, another run's).
class CheckpointError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads `path` into the model, the optimizer and the generators and returns the state. The spec
// in the file must equal `expected`. Nothing is restored unless the whole file checks out.
CheckpointState load_checkpoint(const std::string& path, const RunSpec& expected,
                                torch::nn::Module& model, torch::optim::Optimizer& optimizer);

// The pieces, for other checkpoints (the supernet searches): an archive in the md5 envelope, and
// the states of the generators a run draws from (the CPU's and every CUDA device's).
void write_archive_file(const std::string& path, torch::serialize::OutputArchive& archive);
// CheckpointError when the file is not a whole, intact checkpoint.
void read_archive_file(const std::string& path, torch::serialize::InputArchive& archive);
void write_generator_states(torch::serialize::OutputArchive& archive);
// Reads them all (CheckpointError naming `path` when they do not fit this process), then returns
// what sets them: nothing is restored until the caller has read the rest.
std::function<void()> read_generator_states(torch::serialize::InputArchive& archive,
                                            const std::string& path);

}  // namespace natsbench::train
