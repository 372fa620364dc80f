#include "natsbench/train/checkpoint.h"

#include <ATen/Context.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <sstream>

#include "natsbench/util/atomic_file.h"
#include "natsbench/util/error.h"
#include "natsbench/util/md5.h"

namespace natsbench::train {

namespace {

constexpr std::string_view kMagic = "NATSBENCH-CHECKPOINT 1 ";

nlohmann::json stats_json(const BatchStats& s) {
  return {{"loss", s.loss}, {"correct1", s.correct1}, {"correct5", s.correct5}, {"size", s.size}};
}

BatchStats stats_from_json(const nlohmann::json& j) {
  BatchStats s;
  j.at("loss").get_to(s.loss);
  j.at("correct1").get_to(s.correct1);
  j.at("correct5").get_to(s.correct5);
  j.at("size").get_to(s.size);
  if (s.correct1.size() != s.loss.size() || s.correct5.size() != s.loss.size() ||
      s.size.size() != s.loss.size())
    throw Error("batch statistics of unequal lengths");
  return s;
}

// The generators a run draws from: the CPU default and, when CUDA is present, every device's.
std::vector<at::Generator> run_generators() {
  std::vector<at::Generator> gens{at::globalContext().defaultGenerator(at::kCPU)};
  if (at::globalContext().hasCUDA()) {
    const int n = at::detail::getCUDAHooks().getNumGPUs();
    for (c10::DeviceIndex i = 0; i < n; ++i)
      gens.push_back(at::globalContext().defaultGenerator(c10::Device(at::kCUDA, i)));
  }
  return gens;
}

}  // namespace

void write_archive_file(const std::string& path, torch::serialize::OutputArchive& archive) {
  std::ostringstream payload;
  archive.save_to(payload);
  const std::string bytes = payload.str();
  write_file_atomic(path, std::string(kMagic) + md5_hex(bytes) + " " +
                              std::to_string(bytes.size()) + "\n" + bytes);
}

void read_archive_file(const std::string& path, torch::serialize::InputArchive& archive) {
  const std::string file = read_file(path);
  const auto fail = [&](const std::string& what) -> CheckpointError {
    return CheckpointError(path + ": " + what);
  };
  const std::size_t eol = file.find('\n');
  if (file.compare(0, kMagic.size(), kMagic) != 0 || eol == std::string::npos)
    throw fail("not a natsbench checkpoint (bad header)");
  std::istringstream header(file.substr(kMagic.size(), eol - kMagic.size()));
  std::string md5;
  std::size_t size = 0;
  if (!(header >> md5 >> size) || file.size() - eol - 1 != size)
    throw fail("truncated (expected " + std::to_string(size) + " payload bytes, found " +
               std::to_string(file.size() - eol - 1) + ")");
  const std::string_view payload = std::string_view(file).substr(eol + 1);
  if (md5_hex(payload) != md5) throw fail("corrupt (md5 of the payload does not match)");
  try {
    archive.load_from(payload.data(), payload.size());
  } catch (const std::exception& e) {
    throw fail(std::string("unreadable (") + e.what() + ")");
  }
}

void write_generator_states(torch::serialize::OutputArchive& archive) {
  auto gens = run_generators();
  archive.write("generators", c10::IValue(static_cast<std::int64_t>(gens.size())));
  for (std::size_t i = 0; i < gens.size(); ++i) {
    std::lock_guard<std::mutex> lock(gens[i].mutex());
    archive.write("generator_" + std::to_string(i), gens[i].get_state());
  }
}

std::function<void()> read_generator_states(torch::serialize::InputArchive& archive,
                                            const std::string& path) {
  const auto gens = run_generators();
  c10::IValue count;
  archive.read("generators", count);
  if (static_cast<std::size_t>(count.toInt()) != gens.size()) {
    throw CheckpointError(path + ": written with " + std::to_string(count.toInt()) +
                          " generators (CPU + CUDA devices), this process has " +
                          std::to_string(gens.size()));
  }
  std::vector<at::Tensor> states(gens.size());
  for (std::size_t i = 0; i < gens.size(); ++i)
    archive.read("generator_" + std::to_string(i), states[i]);
  return [gens, states]() {
    for (std::size_t i = 0; i < gens.size(); ++i) {
      auto gen = gens[i];
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_state(states[i]);
    }
  };
}

void save_checkpoint(const std::string& path, const torch::nn::Module& model,
                     const torch::optim::Optimizer& optimizer, const CheckpointState& state) {
  torch::serialize::OutputArchive archive;
  torch::serialize::OutputArchive model_archive, optimizer_archive;
  model.save(model_archive);
  optimizer.save(optimizer_archive);
  archive.write("model", model_archive);
  archive.write("optimizer", optimizer_archive);
  write_generator_states(archive);
  const nlohmann::json meta = {{"record", to_json(state.record)},
                               {"epoch", state.epoch},
                               {"next_batch", state.next_batch},
                               {"partial", stats_json(state.partial)},
                               {"partial_seconds", state.partial_seconds}};
  archive.write("state", c10::IValue(meta.dump()));
  write_archive_file(path, archive);
}

CheckpointState load_checkpoint(const std::string& path, const RunSpec& expected,
                                torch::nn::Module& model, torch::optim::Optimizer& optimizer) {
  const auto fail = [&](const std::string& what) -> CheckpointError {
    return CheckpointError(path + ": " + what);
  };
  torch::serialize::InputArchive archive;
  read_archive_file(path, archive);
  try {
    c10::IValue meta_value;
    archive.read("state", meta_value);
    const nlohmann::json meta = nlohmann::json::parse(meta_value.toStringRef());
    CheckpointState state;
    state.record = record_from_json(meta.at("record"), path);
    if (spec_json(state.record.spec) != spec_json(expected))
      throw fail("belongs to another run: " + spec_json(state.record.spec).dump());
    state.epoch = meta.at("epoch").get<int>();
    state.next_batch = meta.at("next_batch").get<std::int64_t>();
    state.partial = stats_from_json(meta.at("partial"));
    state.partial_seconds = meta.at("partial_seconds").get<double>();
    const auto restore_generators = read_generator_states(archive, path);
    // Everything is read: restore.
    torch::serialize::InputArchive model_archive, optimizer_archive;
    archive.read("model", model_archive);
    archive.read("optimizer", optimizer_archive);
    model.load(model_archive);
    optimizer.load(optimizer_archive);
    restore_generators();
    return state;
  } catch (const CheckpointError&) {
    throw;
  } catch (const std::exception& e) {
    throw fail(std::string("unreadable (") + e.what() + ")");
  }
}

}  // namespace natsbench::train
