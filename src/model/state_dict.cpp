#include "natsbench/model/state_dict.h"

#include <torch/torch.h>

#include "natsbench/util/atomic_file.h"
#include "natsbench/util/error.h"

namespace natsbench::model {

namespace {
// Undefined tensors are skipped: LibTorch registers placeholders for the weights and running
// statistics a BN without affine/tracking lacks, which PyTorch's state dicts do not list.
void collect(const torch::nn::Module& module, const std::string& prefix, NamedTensors& out) {
  for (const auto& item : module.named_parameters(/*recurse=*/false)) {
    if (item.value().defined()) out.emplace_back(prefix + item.key(), item.value());
  }
  for (const auto& item : module.named_buffers(/*recurse=*/false)) {
    if (item.value().defined()) out.emplace_back(prefix + item.key(), item.value());
  }
  for (const auto& child : module.named_children()) {
    collect(*child.value(), prefix + child.key() + ".", out);
  }
}
}  // namespace

NamedTensors state_dict(const torch::nn::Module& module) {
  NamedTensors entries;
  collect(module, "", entries);
  return entries;
}

void save_state_dict(const torch::nn::Module& module, const std::string& path) {
  c10::Dict<std::string, at::Tensor> dict;
  for (const auto& [name, tensor] : state_dict(module)) {
    dict.insert(name, tensor.detach().cpu().contiguous());
  }
  const auto bytes = torch::pickle_save(c10::IValue(dict));
  write_file_atomic(path, std::string_view(bytes.data(), bytes.size()));
}

void load_state_dict(torch::nn::Module& module, const std::string& path) {
  const auto contents = read_file(path);
  c10::IValue value;
  try {
    value = torch::pickle_load(std::vector<char>(contents.begin(), contents.end()));
  } catch (const c10::Error& error) {
    throw Error("state dict '" + path + "': not a torch.save / natsbench weights file");
  }
  if (!value.isGenericDict()) throw Error("state dict '" + path + "': expected a dict of tensors");
  std::unordered_map<std::string, at::Tensor> stored;
  for (const auto& item : value.toGenericDict()) {
    if (!item.key().isString() || !item.value().isTensor()) {
      throw Error("state dict '" + path + "': expected str -> Tensor entries");
    }
    auto key = item.key().toStringRef();
    if (key.rfind("module.", 0) == 0) key = key.substr(7);
    stored.emplace(std::move(key), item.value().toTensor());
  }
  // Validate everything before copying anything: a mismatch leaves the module untouched.
  auto entries = state_dict(module);
  if (stored.size() != entries.size()) {
    throw Error("state dict '" + path + "': has " + std::to_string(stored.size()) +
                " entries, the network has " + std::to_string(entries.size()));
  }
  for (const auto& [name, tensor] : entries) {
    const auto it = stored.find(name);
    if (it == stored.end()) throw Error("state dict '" + path + "': missing key '" + name + "'");
    if (it->second.sizes() != tensor.sizes()) {
      throw Error("state dict '" + path + "': key '" + name + "' has shape " +
                  c10::str(it->second.sizes()) + ", the network expects " +
                  c10::str(tensor.sizes()));
    }
  }
  torch::NoGradGuard no_grad;
  for (auto& [name, tensor] : entries) tensor.copy_(stored.at(name));
}

}  // namespace natsbench::model
