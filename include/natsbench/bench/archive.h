#pragma once
// Benchmark files on disk (docs/archive-format.md §1.2, §2, §3): bz2-compressed pickles.
//   meta.pickle.pbz2           {meta_archs, total_archs, arch2infos: None, evaluated_indexes:
//   set()} NNNNNN.pickle.pbz2         OrderedDict hp -> ArchResults state dict <base>.pickle.pbz2
//   {meta_archs, total_archs, arch2infos: {index: ...}, evaluated_indexes}
// Readers throw CorruptFileError naming the file; writers are atomic (temp file + rename) and
// emit what the official Python API loads (numpy float64 params/latency, OrderedDicts).
#include <map>
#include <string>
#include <vector>

#include "natsbench/bench/results.h"

namespace natsbench::bench {

struct BenchmarkContents {
  std::vector<std::string> meta_archs;
  std::map<int, ArchInfo> arch2infos;
};

std::string arch_file_name(int index);  // "000011.pickle.pbz2"

std::vector<std::string> read_meta_file(const std::string& path);
ArchInfo read_arch_file(const std::string& path);
BenchmarkContents read_benchmark_file(const std::string& path);

void write_meta_file(const std::string& path, const std::vector<std::string>& meta_archs);
void write_arch_file(const std::string& path, const ArchInfo& info);
// Both writers below stop between architectures after SIGINT/SIGTERM (install_stop_handlers)
// with Interrupted, leaving nothing behind, and first remove the temporaries that a killed
// earlier write of the same target left ("<path>.tmp.XXXXXX").
void write_benchmark_file(const std::string& path, const BenchmarkContents& contents);
// An archive directory (meta + one file per architecture), written whole: into a temporary
// directory beside `dir`, renamed to `dir` at the end. Refuses an existing `dir` that is not an
// empty directory (stale files there would answer queries for architectures not written).
void write_archive_dir(const std::string& dir, const BenchmarkContents& contents);

}  // namespace natsbench::bench
