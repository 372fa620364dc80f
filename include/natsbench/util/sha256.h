#pragma once
// SHA-256 (FIPS 180-4) as lower-case hex: the manifest of the files `collect` writes, so a copy of
// a re-created benchmark can be verified with `sha256sum -c MANIFEST.sha256`.
#include <string>
#include <string_view>

namespace natsbench {

std::string sha256_hex(std::string_view data);
// Streams the file; throws Error naming the path when it cannot be read.
std::string sha256_file_hex(const std::string& path);

}  // namespace natsbench
