// Removes a scratch folder and everything in it, through POSIX nftw rather than
// std::filesystem::remove_all: PyTorch's libtorch.so (2.x wheels) exports its own copy of remove_all,
// which the dynamic linker binds in place of libstdc++'s, and with a newer libstdc++ that copy calls
// through a null pointer (seen with g++ 13 on Ubuntu 24.04).
#pragma once

#include <ftw.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

namespace lq::test {

inline void remove_tree(const std::filesystem::path& path) {
  auto remove_one = [](const char* p, const struct stat*, int, struct FTW*) {
    std::remove(p);  // best effort, as remove_all in a destructor would be
    return 0;
  };
  nftw(path.c_str(), remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

}  // namespace lq::test
