#pragma once
// Mapping between pickled state dicts (docs/archive-format.md §3) and the results model.
#include "natsbench/bench/results.h"
#include "natsbench/io/pickle.h"

namespace natsbench::bench {

inline constexpr int kNativeRecordTag = 1;
inline constexpr int kNativeArchResultTag = 2;

// A ResultsCount state dict (or a native record made by the load hook) -> Record.
// Throws CorruptFileError naming `where` and the field.
Record record_from_value(const pickle::Value& value, const std::string& where);
// An OrderedDict hp -> ArchResults state dict.
ArchInfo arch_info_from_value(const pickle::Value& value, const std::string& where);
// The load hook that turns each record dict into a native record as soon as it is complete.
pickle::LoadOptions compact_load_options(const std::string& where);

// The official object graph (§2.6 profile B): OrderedDict hp -> dict, numpy float64 params and
// latency, OrderedDict train_times, official key orders.
pickle::Value to_value(const Record& record);
pickle::Value to_value(const ArchResult& result);
pickle::Value to_value(const ArchInfo& info);

}  // namespace natsbench::bench
