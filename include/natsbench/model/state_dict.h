#pragma once
// State dicts in the reference order and naming (docs/networks.md §2.4): depth-first, each
// module's parameters, then its buffers, then its children. Files are torch.load-compatible
// (torch::pickle_save of a str -> Tensor dict), so weights move to and from Python.
#include <string>
#include <utility>
#include <vector>

#include <torch/nn/module.h>

namespace natsbench::model {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

NamedTensors state_dict(const torch::nn::Module& module);

// Atomic write; Python reads it with torch.load(path).
void save_state_dict(const torch::nn::Module& module, const std::string& path);

// Loads a file written by save_state_dict (a `module.` prefix is accepted). Every key must be
// present with the same shape; throws Error naming the file and the first mismatching key.
// Known gap: of Python's files, LibTorch 1.13's unpickler reads torch.save(dict(sd)) with two
// or more entries, but not the OrderedDict that net.state_dict() returns (nor a one-entry dict).
void load_state_dict(torch::nn::Module& module, const std::string& path);

}  // namespace natsbench::model
