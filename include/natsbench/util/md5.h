#pragma once
// MD5 (RFC 1321) of a byte string or a file, as lower-case hex: for checking downloaded dataset
// and split files against their published checksums (not for security).
#include <string>
#include <string_view>

namespace natsbench {

std::string md5_hex(std::string_view data);
// Streams the file; throws Error naming the path when it cannot be read.
std::string md5_file_hex(const std::string& path);

}  // namespace natsbench
