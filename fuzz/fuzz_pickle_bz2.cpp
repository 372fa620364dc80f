// libFuzzer target: pickle::load on the raw input and on its bz2 decompression (sequential
// and parallel decoders compared).
// Any natsbench::Error is an expected outcome; a crash, a sanitizer report, another exception
// type, or a value that does not survive dump -> load unchanged is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "natsbench/io/bz2.h"
#include "natsbench/io/pickle.h"
#include "natsbench/util/error.h"

namespace {

using natsbench::pickle::Type;
using natsbench::pickle::Value;

// Counts the nodes of the logical tree (shared subtrees count every time they appear), giving
// up past `budget`: dumping a value with much sharing can be exponentially large.
bool small_enough(const Value& v, std::size_t& budget) {
  if (budget == 0) return false;
  --budget;
  switch (v.type()) {
    case Type::List:
    case Type::Tuple:
    case Type::Set:
      for (const Value& item : v.as_sequence()) {
        if (!small_enough(item, budget)) return false;
      }
      return true;
    case Type::Dict:
      for (const auto& [key, item] : v.as_dict().items) {
        if (!small_enough(key, budget) || !small_enough(item, budget)) return false;
      }
      return true;
    default:
      return true;
  }
}

void check_round_trip(const Value& v) {
  std::size_t budget = 50000;
  if (!small_enough(v, budget)) return;
  const std::string bytes = natsbench::pickle::dump(v);
  const Value back = natsbench::pickle::load(bytes);  // must not throw
  if (!(back == v)) std::abort();
  const std::string minimal = natsbench::pickle::dump(v, {natsbench::pickle::Profile::Minimal});
  (void)natsbench::pickle::load(minimal);  // must not throw
}

void load_all_ways(std::string_view bytes) {
  try {
    check_round_trip(natsbench::pickle::load(bytes));
  } catch (const natsbench::Error&) {
  }
  // With a hook that swaps some dicts for native records (later SETITEMs on them must fail
  // cleanly).
  natsbench::pickle::LoadOptions options;
  options.on_dict = [](Value& dict) {
    if (dict.as_dict().size() % 2 == 1) dict = Value::native(1, std::make_shared<const int>(1));
  };
  try {
    (void)natsbench::pickle::load(bytes, options);
  } catch (const natsbench::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  load_all_ways(input);
  // Sequential and parallel bz2 decoding must agree: same output, or both fail.
  std::string raw, parallel;
  bool raw_ok = true, parallel_ok = true;
  try {
    raw = natsbench::bz2::decompress(input, 1);
  } catch (const natsbench::Error&) {
    raw_ok = false;
  }
  try {
    parallel = natsbench::bz2::decompress(input, 2);
  } catch (const natsbench::Error&) {
    parallel_ok = false;
  }
  if (raw_ok != parallel_ok || raw != parallel) std::abort();
  if (raw_ok) load_all_ways(raw);
  return 0;
}
