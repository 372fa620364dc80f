// Throughput of pickle::load / pickle::dump / bz2 (hidden: run with "[.io-speed]").
//   NATSBENCH_REFERENCE_DIR=... natsbench_core_tests "[.io-speed]"
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>

#include "io_test_util.h"
#include "natsbench/io/bz2.h"
#include "natsbench/io/pickle.h"
#include "natsbench/util/atomic_file.h"

using namespace natsbench;
using namespace natsbench::pickle;

namespace {

// Runs `work` until at least `min_seconds` have passed; returns MB/s for `bytes` per run.
double throughput(std::size_t bytes, const std::function<void()>& work, double min_seconds = 1.0) {
  using clock = std::chrono::steady_clock;
  work();  // warm up
  const auto start = clock::now();
  int runs = 0;
  double elapsed = 0;
  do {
    work();
    ++runs;
    elapsed = std::chrono::duration<double>(clock::now() - start).count();
  } while (elapsed < min_seconds);
  return static_cast<double>(bytes) * runs / elapsed / 1e6;
}

}  // namespace

TEST_CASE("io throughput", "[.io-speed]") {
  if (iotest::reference_dir().empty()) {
    WARN("NATSBENCH_REFERENCE_DIR unset: skipping the throughput measurement");
    return;
  }
  const std::string compressed = read_file(iotest::sample_path("tss", "000000"));
  const std::string raw = bz2::decompress(compressed);
  const Value arch = load(raw);

  const double load_mbs = throughput(raw.size(), [&] { (void)load(raw); });
  LoadOptions hook;
  hook.on_dict = [](Value& d) {
    if (d.as_dict().size() == 16) d = Value::native(1, nullptr);
  };
  const double hook_mbs = throughput(raw.size(), [&] { (void)load(raw, hook); });
  const double dump_mbs = throughput(raw.size(), [&] { (void)dump(arch); });
  const double unbz_mbs = throughput(raw.size(), [&] { (void)bz2::decompress(compressed); });

  // A benchmark-like file: 300 architectures (~100 MB of pickle).
  Dict infos;
  for (int i = 0; i < 300; ++i) infos.add(Value::integer(i), arch);
  Dict bench;
  bench.add("arch2infos", Value::dict(infos));
  const std::string big = dump(Value::dict(bench));
  const double big_load_mbs = throughput(
      big.size(), [&] { (void)load(big); }, 2.0);
  const double big_hook_mbs = throughput(
      big.size(), [&] { (void)load(big, hook); }, 2.0);

  const std::string big_bz2 = bz2::compress(big);
  const double big_unbz1 = throughput(
      big.size(), [&] { (void)bz2::decompress(big_bz2, 1); }, 2.0);
  const unsigned hw = std::max(2u, std::thread::hardware_concurrency());
  const double big_unbzn = throughput(
      big.size(), [&] { (void)bz2::decompress(big_bz2, hw); }, 2.0);

  std::printf(
      "pickle::load  tss 000000 (%zu bytes): %.0f MB/s; with on_dict record hook: %.0f MB/s\n",
      raw.size(), load_mbs, hook_mbs);
  std::printf("pickle::load  300 archs (%zu bytes, no memo): %.0f MB/s; with hook: %.0f MB/s\n",
              big.size(), big_load_mbs, big_hook_mbs);
  std::printf("pickle::dump  tss 000000: %.0f MB/s (of output)\n", dump_mbs);
  std::printf("bz2::decompress tss 000000 (%zu -> %zu bytes): %.1f MB/s of output\n",
              compressed.size(), raw.size(), unbz_mbs);
  std::printf(
      "bz2::decompress 300 archs (%zu -> %zu bytes): 1 thread %.1f MB/s, %u threads %.1f MB/s\n",
      big_bz2.size(), big.size(), big_unbz1, hw, big_unbzn);
  CHECK(load_mbs > 0);
}
