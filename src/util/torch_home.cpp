#include "natsbench/util/torch_home.h"

#include <cstdlib>

#include "natsbench/util/error.h"

namespace natsbench {

std::string torch_home(std::string_view what) {
  if (const char* home = std::getenv("TORCH_HOME"); home != nullptr && *home != '\0') return home;
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0')
    return std::string(home) + "/.torch";
  throw ArgError(std::string(what) + ": required, as neither TORCH_HOME nor HOME is set");
}

}  // namespace natsbench
