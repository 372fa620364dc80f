#pragma once
// What a run record says about where it ran: natsbench version and commit, LibTorch version,
// the device and its threads, CUDA/cuDNN versions when CUDA is used.
#include <c10/core/Device.h>
#include <nlohmann/json.hpp>
#include <string>

namespace natsbench::data {
struct BenchmarkData;
}

namespace natsbench::train {

nlohmann::json run_environment(const c10::Device& device);

// What a record says about its data: root, layout, whether the sets have the official sizes, and
// the md5 status of every file (a re-created benchmark must say whether it used the official
// bytes). `verified` = the md5 were computed when the data were read.
nlohmann::json checksum_report(const data::BenchmarkData& d, bool verified);
nlohmann::json data_report(const data::BenchmarkData& d, const std::string& root);
std::string natsbench_version();  // "0.1.0 (commit abc123)"

}  // namespace natsbench::train
