#include "natsbench/sweep/job_size.h"

#include "natsbench/data/registry.h"
#include "natsbench/sweep/plan.h"
#include "natsbench/train/hyper_params.h"
#include "natsbench/util/error.h"

namespace natsbench::sweep {

namespace {

std::int64_t eval_size(const data::DatasetInfo& info) {
  std::int64_t n = 0;
  for (const auto& set : info.eval_sets) n += set.official_size;
  return n;
}

}  // namespace

std::vector<SweepJob> benchmark_jobs(Space space) {
  const std::vector<std::string> hps = space == Space::Topology
                                           ? std::vector<std::string>{"12", "200"}
                                           : std::vector<std::string>{"01", "12", "90"};
  std::vector<SweepJob> jobs;
  for (const auto& hp : hps) {
    SweepJob job;
    job.hp = hp;
    job.epochs = train::load_hyper_params(hp).total_epochs();
    job.archs = space_size(space);
    std::int64_t train_per_arch_epoch = 0, eval_per_arch_epoch = 0;
    for (const auto& spec : data::datasets()) {
      const auto seeds = static_cast<std::int64_t>(data::preset_seeds(space, hp, spec.name).size());
      job.seeds.emplace_back(std::string(spec.name), seeds);
      job.runs += job.archs * seeds;
      train_per_arch_epoch += seeds * spec.official_train_size;
      eval_per_arch_epoch += seeds * eval_size(spec);
    }
    job.train_images = job.archs * job.epochs * train_per_arch_epoch;
    job.eval_images = job.archs * job.epochs * eval_per_arch_epoch;
    jobs.push_back(std::move(job));
  }
  return jobs;
}

double epoch_seconds(std::string_view dataset, double train_images_per_second,
                     double eval_images_per_second) {
  if (!(train_images_per_second > 0) || !(eval_images_per_second > 0))
    throw ArgError("images per second must be positive");
  const data::DatasetInfo& spec = data::dataset(dataset);
  return static_cast<double>(spec.official_train_size) / train_images_per_second +
         static_cast<double>(eval_size(spec)) / eval_images_per_second;
}

nlohmann::json project_sweep(Space space, double train_images_per_second,
                             double eval_images_per_second) {
  if (!(train_images_per_second > 0) || !(eval_images_per_second > 0))
    throw ArgError("images per second must be positive");
  nlohmann::json rows = nlohmann::json::array();
  nlohmann::json hours = nlohmann::json::object();
  double total = 0;
  for (const SweepJob& job : benchmark_jobs(space)) {
    const double h = (static_cast<double>(job.train_images) / train_images_per_second +
                      static_cast<double>(job.eval_images) / eval_images_per_second) /
                     3600.0;
    nlohmann::json seeds = nlohmann::json::object();
    for (const auto& [dataset, n] : job.seeds) seeds[dataset] = n;
    rows.push_back({{"hp", job.hp},
                    {"epochs", job.epochs},
                    {"archs", job.archs},
                    {"seeds", seeds},
                    {"runs", job.runs},
                    {"train_images", job.train_images},
                    {"eval_images", job.eval_images},
                    {"gpu_hours", h}});
    hours[job.hp] = h;
    total += h;
  }
  hours["total"] = total;
  return {{"jobs", rows}, {"gpu_hours", hours}};
}

}  // namespace natsbench::sweep
