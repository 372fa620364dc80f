#pragma once
// The data pipeline (docs/training.md §2, §5.4), as composable layers in the flashlight style:
// a batch source has size() (batches per epoch) and get(i); shuffling and batching live in
// TensorBatches, augmentation and normalisation are transforms applied by MapBatches. Every
// operation is a batched tensor op on the data's device (CPU or CUDA): no per-image loop and no
// host-device synchronisation per batch.
//
// Randomness: each epoch's order comes from a CPU generator seeded from (seed, epoch), and each
// batch's augmentation from a generator of the data's device seeded from (seed, epoch, batch), so
// a batch is reproducible on its own (e.g. after resuming mid-epoch) and independent of other
// generators.
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <memory>

#include "natsbench/data/benchmark_data.h"

namespace natsbench::data {

struct Batch {
  at::Tensor images;  // uint8 [B,3,H,W] before ToFloat/Normalize, float32 after
  at::Tensor labels;  // int64 [B]
};

// §2 transforms on a whole batch. `gen` must belong to the images' device.
at::Tensor random_flip(const at::Tensor& images, at::Generator& gen);  // p = 0.5 per image
// Zero padding by `pad` on all sides, then a crop of the original size at offsets uniform in
// {0..2*pad} (top drawn before left), independently per image.
at::Tensor random_crop(const at::Tensor& images, int pad, at::Generator& gen);
// byte / 255 in float32, then (v - mean[c]) / std[c] in float32.
at::Tensor to_float_normalize(const at::Tensor& images, const Normalization& norm);

// A generator of `device`'s type seeded with `seed` (a fresh one, not the global default).
at::Generator make_generator(const c10::Device& device, std::uint64_t seed);
// The seed of epoch `epoch` derived from a run seed (splitmix64 of both).
std::uint64_t epoch_seed(std::uint64_t seed, std::int64_t epoch, std::uint64_t stream);

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  virtual std::int64_t size() const = 0;  // batches per epoch
  virtual Batch get(std::int64_t index) = 0;
  virtual void set_epoch(std::int64_t epoch) = 0;
};

// Batches of a tensor set (moved once to `device`), last partial batch kept; optionally a new
// uniformly random order each epoch.
class TensorBatches : public BatchSource {
 public:
  TensorBatches(const ImageSet& set, const c10::Device& device, std::int64_t batch_size,
                bool shuffle, std::uint64_t seed);
  std::int64_t size() const override;
  Batch get(std::int64_t index) override;
  void set_epoch(std::int64_t epoch) override;
  std::int64_t images() const { return set_.size(); }

 private:
  ImageSet set_;
  std::int64_t batch_size_;
  bool shuffle_;
  std::uint64_t seed_;
  at::Tensor order_;  // on the device; undefined = natural order
};

// Applies a transform to every batch of an inner source; the transform gets a generator of the
// device's type seeded from (seed, epoch, batch index).
class MapBatches : public BatchSource {
 public:
  using Transform = std::function<Batch(Batch, at::Generator&)>;
  MapBatches(std::shared_ptr<BatchSource> inner, Transform transform, const c10::Device& device,
             std::uint64_t seed);
  std::int64_t size() const override { return inner_->size(); }
  Batch get(std::int64_t index) override;
  void set_epoch(std::int64_t epoch) override;

 private:
  std::shared_ptr<BatchSource> inner_;
  Transform transform_;
  c10::Device device_;
  std::uint64_t seed_;
  std::int64_t epoch_ = 0;
  at::Generator gen_;
};

// The §2 training transform: flip, pad+crop, to float, normalize.
MapBatches::Transform train_transform(int pad, const Normalization& norm);
// The test transform: to float, normalize.
MapBatches::Transform eval_transform(const Normalization& norm);

constexpr std::int64_t kBatchSize = 256;

// Training loader of a benchmark dataset (shuffled, augmented) and an evaluation loader of one
// of its sets (ori-test in natural order, subsets shuffled as in the reference; not augmented).
std::shared_ptr<BatchSource> make_train_loader(const BenchmarkData& data, const c10::Device& device,
                                               std::uint64_t seed,
                                               std::int64_t batch_size = kBatchSize);
std::shared_ptr<BatchSource> make_eval_loader(const BenchmarkData& data, std::string_view set,
                                              const c10::Device& device, std::uint64_t seed,
                                              std::int64_t batch_size = kBatchSize);

}  // namespace natsbench::data
