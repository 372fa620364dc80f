#pragma once
// Dataset files (docs/training.md §1): CIFAR-10/100 in the python-pickle or the binary layout,
// ImageNet16 (the 120-class subset), each read once into memory as a uint8 NCHW tensor plus
// int64 labels; md5 checksums of the official files. All under one root, the reference's
// $TORCH_HOME/cifar.python:
//   ROOT/cifar-10-batches-py/{data_batch_1..5,test_batch}  or  ROOT/cifar-10-batches-bin/*.bin
//   ROOT/cifar-100-python/{train,test}                     or  ROOT/cifar-100-binary/*.bin
//   ROOT/ImageNet16/{train_data_batch_1..10,val_data}  (ROOT itself may be the ImageNet16 folder)
// The folders, file names and md5s are the source's row in registry.h. Every problem (missing or
// truncated file, wrong shape, label out of range) raises Error naming the file.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "natsbench/data/registry.h"

namespace natsbench::data {

struct ImageSet {
  at::Tensor images;  // uint8 [N, 3, H, W]
  at::Tensor labels;  // int64 [N]
  std::int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
};

struct ChecksumStatus {
  std::string file;  // full path
  std::string expected, actual;
  bool ok() const { return expected == actual; }
};

struct SourceData {
  Source source;
  std::string layout;  // "python" or "binary"
  ImageSet train;      // CIFAR: 50 000 in file order; ImageNet16-120: filtered train
  ImageSet test;       // CIFAR: 10 000; ImageNet16-120: filtered val
  int num_classes = 0;
  std::vector<ChecksumStatus> checksums;  // filled when verified
  std::vector<std::string> warnings;      // checksum mismatches and the like
};

struct ReadOptions {
  bool verify = false;         // md5 of every official file; a mismatch becomes a warning
  int imagenet_classes = 120;  // keep labels 1..this (docs/training.md §1.6)
};

// Reads a source from ROOT (python layout preferred, binary layout as fallback for CIFAR).
SourceData read_source(Source source, const std::string& root, const ReadOptions& options = {});

// The pieces, for tests and tools.
// One CIFAR/ImageNet16 pickle: dict with data (uint8 [N, 3*side*side]) and labels/fine_labels
// (str or Python-2 bytes keys; "labels" falls back to "fine_labels"). Labels are returned as
// stored (ImageNet16: 1-based) and must lie in min_label..max_label.
ImageSet read_pickle_batch(const std::string& path, int side, std::string_view label_key,
                           std::int64_t min_label, std::int64_t max_label);
// One CIFAR binary file: records of [coarse] label + 3072 pixels.
ImageSet read_cifar_binary(const std::string& path, bool cifar100);
// md5 of the official files present under ROOT.
std::vector<ChecksumStatus> verify_checksums(Source source, const std::string& root);

}  // namespace natsbench::data
