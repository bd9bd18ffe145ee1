// Ties objects made by a plugin to the library holding their code.
#pragma once

#include <memory>

namespace lq {

// Returns a pointer to `object` that keeps `anchor` (a loaded library) alive until the object is gone.
// The object is destroyed first, then the anchor released: its destructor's code is still mapped.
template <class T, class A>
std::shared_ptr<T> anchored(std::shared_ptr<T> object, std::shared_ptr<A> anchor) {
  struct Holder {
    std::shared_ptr<A> anchor;  // declared first, destroyed last
    std::shared_ptr<T> object;
  };
  T* raw = object.get();
  auto holder = std::make_shared<Holder>(Holder{std::move(anchor), std::move(object)});
  return std::shared_ptr<T>(holder, raw);
}

}  // namespace lq
