#pragma once
// The search algorithms: an interface and a registry behind `natsbench search --algo NAME`. Each
// algorithm lives in a file of its own with its own settings, which it exposes as knobs (the
// command line offers each as a --flag; a knob given to another algorithm is an error). The four
// multi-trial algorithms of the core library are rows of the registry (algorithm.cpp); a library
// on top (the weight-sharing algorithms, which train supernets with LibTorch) adds its own with
// register_algorithm() before the command line is built.
//
// Adding an algorithm = its file under src/search/ + one row in algorithm.cpp (or one
// register_algorithm() call in the library that holds it). docs/nas-algorithms.md has the
// protocols.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "natsbench/search/multi_trial.h"

namespace natsbench::bench {
class Benchmark;
}

namespace natsbench::search {

// One setting of an algorithm, bound to a member of its settings.
struct Knob {
  std::string_view flag;  // "--population"
  std::string_view help;
  std::variant<int*, double*> value;
};

class Algorithm {
 public:
  virtual ~Algorithm() = default;
  virtual std::vector<Knob> knobs() { return {}; }
  // Throws ArgError naming the knob whose value is out of range.
  virtual void check() const {}
  // One run on a benchmark whose time is reset and whose random source is seeded with `seed`.
  virtual SearchRun run(bench::Benchmark& benchmark, const SearchSettings& settings,
                        std::uint64_t seed) = 0;
};

struct AlgorithmInfo {
  std::string_view name;     // the --algo value
  std::string_view summary;  // one line for the help
  std::unique_ptr<Algorithm> (*make)();
};

// Throws ArgError when the name or one of its knobs' flags is taken.
void register_algorithm(const AlgorithmInfo& info);
const std::vector<AlgorithmInfo>& algorithms();
// "random, rea, reinforce or bohb".
std::string algorithm_names();
// Throws ArgError listing the names.
std::unique_ptr<Algorithm> make_algorithm(std::string_view name);
// Sets the knob `flag` of `algorithm` (an int knob takes an integral value); throws ArgError
// when it has none.
void set_knob(Algorithm& algorithm, std::string_view flag, double value);

// One run: checks the settings against the benchmark, resets its time, seeds its random source
// and runs the algorithm. Throws ArgError for bad settings or an architecture without results.
SearchRun run_search(bench::Benchmark& benchmark, Algorithm& algorithm,
                     const SearchSettings& settings, std::uint64_t seed);
// The same with the registered algorithm `name` at its default settings.
SearchRun run_search(bench::Benchmark& benchmark, std::string_view name,
                     const SearchSettings& settings, std::uint64_t seed);

}  // namespace natsbench::search
