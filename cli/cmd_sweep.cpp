// natsbench sweep --space tss|sss --range 00000-15624 --hp 200 [--seeds 777,888,999]
//                 [--datasets LIST] --data-root DIR --out DIR [--shard K/N] [--mode new|cover]
//                 [--device cpu|cuda[:N]] [--concurrent M] [--no-graph] [--max-batches N]
//                 [--threads N] [--lock-timeout S]
// natsbench sweep --status --out DIR
#include "cmd_sweep.h"

#include "cli_common.h"
#include "commands.h"
#include "natsbench/sweep/status.h"

namespace natsbench::cli {

Action add_sweep_command(CLI::App& app) {
  auto o = std::make_shared<SweepArgs>();
  auto* cmd = app.add_subcommand(
      "sweep", "Train a range of candidates x seeds x datasets; resumable, shardable, shareable");
  cmd->add_option("--space", o->space, "Search space: tss or sss");
  cmd->add_option("--range", o->range, "Architecture indexes: 00000-02000, 7, 0-4,9 (inclusive)");
  cmd->add_option("--hp", o->hp, "Hyper-parameter set: 01, 12, 90, 200 or a YAML file")
      ->capture_default_str();
  cmd->add_option("--seeds", o->seeds,
                  "Comma-separated seeds (default: the released benchmark's seeds for the hp)");
  cmd->add_option("--datasets", o->datasets, "Comma-separated benchmark datasets")
      ->capture_default_str();
  cmd->add_option("--data-root", o->data_root, "Dataset root (default $TORCH_HOME/cifar.python)");
  cmd->add_option("--splits", o->splits, "Directory of the split files (default DATA_ROOT/splits)");
  cmd->add_option("--out", o->out, "Output directory, shared by all workers")->required();
  cmd->add_option("--shard", o->shard, "This worker's part K/N of the plan (K = 0..N-1)")
      ->capture_default_str();
  cmd->add_option("--mode", o->mode, "new: skip finished runs; cover: redo them")
      ->capture_default_str();
  cmd->add_option("--device", o->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--concurrent", o->concurrent,
                  "Runs trained at once on the device, each on its own CUDA stream (for GPUs)")
      ->capture_default_str();
  cmd->add_flag("--no-graph", o->no_graph,
                "Run every CUDA step eagerly instead of as a CUDA graph");
  cmd->add_option("--max-batches", o->max_batches,
                  "Cap on the batches of every epoch (smoke runs)");
  cmd->add_option("--threads", o->threads, "CPU threads (default: OMP_NUM_THREADS, else all CPUs)");
  cmd->add_option("--lock-timeout", o->lock_timeout,
                  "Seconds without a sign of life after which another worker's run is taken over")
      ->capture_default_str();
  cmd->add_flag("--fast", o->fast, "cuDNN autotuning instead of deterministic kernels");
  cmd->add_flag("--save-weights", o->save_weights, "Store the final weights beside each record");
  cmd->add_flag("--status", o->status, "Print the progress of the sweep in --out as JSON and exit");
  return [o]() {
    if (o->status) {
      print_json(sweep::sweep_status(o->out, o->lock_timeout));
      return 0;
    }
#ifdef NATSBENCH_CORE_ONLY
    throw NeedsTorch{};
#else
    return run_sweep_command(*o);
#endif
  };
}

}  // namespace natsbench::cli
