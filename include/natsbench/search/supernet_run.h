#pragma once
// One weight-sharing search run, (algorithm, dataset, seed), as the reference's search-cell.py
// runs it (spec nas-algorithms.md §2.4, §4.7): E epochs of pair steps, then per epoch the derived
// genotype, the supernet's accuracy on the arch split, and a checkpoint, so that a run stopped
// by a signal, or killed, continues where it stood when started again with the same options.
//
// Data: the weight split in a new random order per epoch, batch 64, each image paired with one
// drawn uniformly from the arch split, both augmented; the valid loader is the arch split in a
// new random order per pass, batch 512. The order and the augmentation come from generators
// seeded by (seed, epoch, batch), not from torch's default generator, so the reference's draws
// on the default generator (Gumbel noise) stay in its order and a resumed run sees the same data.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <c10/core/Device.h>
#include <nlohmann/json.hpp>

#include "natsbench/data/benchmark_data.h"
#include "natsbench/search/supernet_search.h"

namespace natsbench::search {

struct SupernetRunOptions {
  std::string algorithm;  // darts-v1, darts-v2, gdas, setn, rsps, enas
  std::uint64_t seed = 777;
  int epochs = 100;  // the paper's E
  // Training steps per epoch, and ENAS's controller updates per epoch (at most 50); 0 = the
  // whole weight split and 50 updates.
  std::int64_t max_batches = 0;
  std::int64_t batch_size = 64, valid_batch_size = 512;
  int candidates = 100;    // SETN's, RSPS's and ENAS's architectures scored per derivation
  std::string checkpoint;  // written after every epoch and on a stop request; empty = none
};

// Averages over an epoch's batches, weighted by batch size, as the reference's AverageMeter.
struct HalfAverages {
  double loss = 0, top1 = 0, top5 = 0;  // top-k in percent
  std::int64_t images = 0;
};

struct SupernetEpoch {
  int epoch = 0;
  double lr = 0, tau = 0;
  HalfAverages base, arch;  // the weight half and the arch half of the pair steps
  std::string genotype;     // genotypes[epoch]
  float genotype_top1 = 0;  // on its one valid batch
  HalfAverages valid;       // the supernet on the whole arch split, in the algorithm's mode
  double search_seconds = 0;
  // 6 x 5: softmax(alpha); ENAS: the controller's op probabilities per edge when fed the genotype
  std::vector<std::vector<float>> arch_probabilities;
  std::optional<ControllerTraining> controller;  // ENAS's controller training of the epoch
};

struct SupernetRunResult {
  nlohmann::ordered_json settings;  // run_settings(): what makes two runs the same run
  std::string algorithm, dataset;
  std::uint64_t seed = 0;
  int epochs = 0;
  std::int64_t steps_per_epoch = 0;
  std::string initial_genotype;  // genotypes[-1]
  std::vector<SupernetEpoch> history;
  std::string final_genotype;  // the derivation after the last epoch (random for SETN, RSPS)
  float final_top1 = 0;
  double search_seconds = 0;  // training + the final derivation (spec §2.4)
  bool finished = false;      // false: stopped by a signal, checkpoint written
};

// Called after every `every` training steps and at the end of each epoch.
struct SupernetProgress {
  std::function<void(int epoch, std::int64_t step, std::int64_t steps)> step;
  std::function<void(const SupernetEpoch&)> epoch;
};

// Runs the search, or resumes it from options.checkpoint. Returns with finished = false after a
// SIGTERM/SIGINT (util/interrupt.h), the checkpoint written. A checkpoint that cannot be used
// (damaged, another run's) is reported through `warn` and the run starts over.
SupernetRunResult run_supernet_search(const SupernetRunOptions& options,
                                      const data::SearchData& data, const c10::Device& device,
                                      const SupernetProgress& progress = {},
                                      const std::function<void(const std::string&)>& warn = {});

nlohmann::ordered_json to_json(const SupernetRunResult& result);
// The options that define a run's results (not where it writes): a checkpoint or result with
// other settings belongs to another run.
nlohmann::ordered_json run_settings(const SupernetRunOptions& options, const std::string& dataset);

}  // namespace natsbench::search
