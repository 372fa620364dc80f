#include "natsbench/data/pipeline.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>

#include "natsbench/util/error.h"

namespace natsbench::data {

at::Tensor random_flip(const at::Tensor& images, at::Generator& gen) {
  const std::int64_t b = images.size(0);
  const at::Tensor flip =
      at::rand({b}, gen, images.options().dtype(at::kFloat)).lt(0.5).view({b, 1, 1, 1});
  return at::where(flip, images.flip({3}), images);
}

at::Tensor random_crop(const at::Tensor& images, int pad, at::Generator& gen) {
  const std::int64_t b = images.size(0), c = images.size(1), h = images.size(2), w = images.size(3);
  const std::int64_t ph = h + 2 * pad, pw = w + 2 * pad;
  const auto long_opts = images.options().dtype(at::kLong);
  const at::Tensor top = at::randint(0, 2 * pad + 1, {b}, gen, long_opts);
  const at::Tensor left = at::randint(0, 2 * pad + 1, {b}, gen, long_opts);
  const at::Tensor padded = at::constant_pad_nd(images, {pad, pad, pad, pad}, 0);
  const at::Tensor rows = top.view({b, 1, 1}) + at::arange(h, long_opts).view({1, h, 1});
  const at::Tensor cols = left.view({b, 1, 1}) + at::arange(w, long_opts).view({1, 1, w});
  const at::Tensor index = (rows * pw + cols).view({b, 1, h * w}).expand({b, c, h * w});
  return padded.reshape({b, c, ph * pw}).gather(2, index).view({b, c, h, w});
}

namespace {

// mean and std as float32 [1,3,1,1] tensors on `device`, made once per device and reused, so a
// batch costs no host-to-device copy.
class NormTensors {
 public:
  explicit NormTensors(const Normalization& norm) : norm_(norm) {}
  const std::pair<at::Tensor, at::Tensor>& on(const c10::Device& device) {
    if (!cached_.first.defined() || cached_.first.device() != device) {
      const auto make = [&](const std::array<double, 3>& v) {
        return at::tensor(
                   {static_cast<float>(v[0]), static_cast<float>(v[1]), static_cast<float>(v[2])})
            .view({1, 3, 1, 1})
            .to(device);
      };
      cached_ = {make(norm_.mean), make(norm_.std)};
    }
    return cached_;
  }

 private:
  Normalization norm_;
  std::pair<at::Tensor, at::Tensor> cached_;
};

at::Tensor normalize_with(const at::Tensor& images, NormTensors& tensors) {
  const auto& [mean, stdev] = tensors.on(images.device());
  return images.to(images.options().dtype(at::kFloat)).div_(255).sub_(mean).div_(stdev);
}

}  // namespace

at::Tensor to_float_normalize(const at::Tensor& images, const Normalization& norm) {
  NormTensors tensors(norm);
  return normalize_with(images, tensors);
}

at::Generator make_generator(const c10::Device& device, std::uint64_t seed) {
  at::Generator gen = device.is_cpu() ? at::detail::createCPUGenerator(seed)
                                      : at::globalContext().defaultGenerator(device).clone();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_current_seed(seed);
  return gen;
}

std::uint64_t epoch_seed(std::uint64_t seed, std::int64_t epoch, std::uint64_t stream) {
  std::uint64_t z = seed * 0x9E3779B97F4A7C15ull +
                    static_cast<std::uint64_t>(epoch) * 0xBF58476D1CE4E5B9ull +
                    stream * 0x94D049BB133111EBull + 0x2545F4914F6CDD1Dull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return (z ^ (z >> 31)) & 0x7FFFFFFFFFFFFFFFull;  // Torch seeds are signed-safe this way
}

TensorBatches::TensorBatches(const ImageSet& set, const c10::Device& device,
                             std::int64_t batch_size, bool shuffle, std::uint64_t seed)
    : set_{set.images.to(device).contiguous(), set.labels.to(device)},
      batch_size_(batch_size),
      shuffle_(shuffle),
      seed_(seed) {
  if (batch_size <= 0)
    throw ArgError("batch size " + std::to_string(batch_size) + ": expected >= 1");
  if (shuffle_) set_epoch(0);
}

std::int64_t TensorBatches::size() const {
  return (set_.size() + batch_size_ - 1) / batch_size_;
}

void TensorBatches::set_epoch(std::int64_t epoch) {
  if (!shuffle_) return;
  at::Generator gen = at::detail::createCPUGenerator(epoch_seed(seed_, epoch, 1));
  order_ =
      at::randperm(set_.size(), gen, at::TensorOptions().dtype(at::kLong)).to(set_.images.device());
}

Batch TensorBatches::get(std::int64_t index) {
  if (index < 0 || index >= size()) {
    throw ArgError("batch " + std::to_string(index) + ": expected 0.." +
                   std::to_string(size() - 1));
  }
  const std::int64_t start = index * batch_size_;
  const std::int64_t end = std::min(start + batch_size_, set_.size());
  if (!order_.defined())
    return {set_.images.slice(0, start, end), set_.labels.slice(0, start, end)};
  const at::Tensor idx = order_.slice(0, start, end);
  return {set_.images.index_select(0, idx), set_.labels.index_select(0, idx)};
}

MapBatches::MapBatches(std::shared_ptr<BatchSource> inner, Transform transform,
                       const c10::Device& device, std::uint64_t seed)
    : inner_(std::move(inner)),
      transform_(std::move(transform)),
      device_(device),
      seed_(seed),
      gen_(make_generator(device, epoch_seed(seed, 0, 2))) {}

void MapBatches::set_epoch(std::int64_t epoch) {
  inner_->set_epoch(epoch);
  epoch_ = epoch;
}

Batch MapBatches::get(std::int64_t index) {
  {
    // Seeded per (epoch, batch): any batch is reproducible on its own, so a run resumed in the
    // middle of an epoch sees exactly the batches an uninterrupted run sees.
    std::lock_guard<std::mutex> lock(gen_.mutex());
    gen_.set_current_seed(epoch_seed(epoch_seed(seed_, epoch_, 2), index, 3));
  }
  return transform_(inner_->get(index), gen_);
}

MapBatches::Transform train_transform(int pad, const Normalization& norm) {
  auto tensors = std::make_shared<NormTensors>(norm);
  return [pad, tensors](Batch batch, at::Generator& gen) {
    at::Tensor x = random_flip(batch.images, gen);
    x = random_crop(x, pad, gen);
    return Batch{normalize_with(x, *tensors), std::move(batch.labels)};
  };
}

MapBatches::Transform eval_transform(const Normalization& norm) {
  auto tensors = std::make_shared<NormTensors>(norm);
  return [tensors](Batch batch, at::Generator&) {
    return Batch{normalize_with(batch.images, *tensors), std::move(batch.labels)};
  };
}

std::shared_ptr<BatchSource> make_train_loader(const BenchmarkData& data, const c10::Device& device,
                                               std::uint64_t seed, std::int64_t batch_size) {
  auto batches = std::make_shared<TensorBatches>(data.train, device, batch_size, true, seed);
  return std::make_shared<MapBatches>(batches, train_transform(data.pad, data.norm), device, seed);
}

std::shared_ptr<BatchSource> make_eval_loader(const BenchmarkData& data, std::string_view set,
                                              const c10::Device& device, std::uint64_t seed,
                                              std::int64_t batch_size) {
  const bool shuffle = set != "ori-test";
  auto batches =
      std::make_shared<TensorBatches>(data.eval_set(set), device, batch_size, shuffle, seed);
  return std::make_shared<MapBatches>(batches, eval_transform(data.norm), device, seed);
}

}  // namespace natsbench::data
