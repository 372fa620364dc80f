#pragma once
#include <string>
#include <string_view>

namespace natsbench {

// Writes `contents` to a temporary file beside `path`, flushes and fsyncs it, then renames it
// over `path`: readers see the old file or the new one, never a partial one.
// Throws Error naming the path on failure (the temporary file is removed).
void write_file_atomic(const std::string& path, std::string_view contents);

// Reads a whole file; throws Error naming the path when it cannot be read.
std::string read_file(const std::string& path);

}  // namespace natsbench
