#pragma once
// $TORCH_HOME as the official code resolves it: the variable, else $HOME/.torch. The default
// place of the benchmark files (query, search) and of the datasets ($TORCH_HOME/cifar.python).
#include <string>
#include <string_view>

namespace natsbench {

// Throws ArgError naming `what` (the argument that would have said where) when neither
// TORCH_HOME nor HOME is set.
std::string torch_home(std::string_view what);

}  // namespace natsbench
