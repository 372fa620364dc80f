#include "natsbench/train/environment.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/version.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "natsbench/data/benchmark_data.h"

#ifdef NATSBENCH_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif

namespace natsbench::train {

namespace {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown";
}

std::string version_text(long v) {
  // The versions as the libraries report them (cuDNN 9.1.0 = 90100, CUDA 12.4 = 12040).
  return std::to_string(v);
}

}  // namespace

std::string natsbench_version() {
  return std::string(NATSBENCH_VERSION) + " (commit " + NATSBENCH_GIT_COMMIT + ")";
}

nlohmann::json run_environment(const c10::Device& device) {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  nlohmann::json env = {{"natsbench", NATSBENCH_VERSION},
                        {"git_commit", NATSBENCH_GIT_COMMIT},
                        {"libtorch", TORCH_VERSION},
                        {"device", device.str()},
                        {"cpu", cpu_model()},
                        {"intra_op_threads", at::get_num_threads()},
                        {"host", host}};
  if (device.is_cuda()) {
#ifdef NATSBENCH_WITH_CUDA
    env["device_name"] =
        at::cuda::getDeviceProperties(device.index() < 0 ? 0 : device.index())->name;
#endif
    const auto& hooks = at::detail::getCUDAHooks();
    env["cuda_runtime"] = version_text(hooks.versionCUDART());
    env["cudnn"] = version_text(hooks.versionCuDNN());
  } else {
    env["device_name"] = cpu_model();
  }
  return env;
}

nlohmann::json checksum_report(const data::BenchmarkData& d, bool verified) {
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

nlohmann::json data_report(const data::BenchmarkData& d, const std::string& root) {
  return {{"root", std::filesystem::absolute(root).string()},
          {"layout", d.layout},
          {"official_sizes", d.official_sizes},
          {"checksums", checksum_report(d, true)},
          {"warnings", d.warnings}};
}

}  // namespace natsbench::train
