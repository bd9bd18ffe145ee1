// The plugin ABI version and the visibility macros every SDK header uses.
#pragma once

// Bumped whenever a change to an SDK header breaks plugins built against the previous one. The loader
// refuses a plugin whose version differs, before it calls anything else in it.
#define LQ_API_VERSION 5

// SDK types are polymorphic and thrown across library boundaries: their type information must be
// shared between the framework and plugins built with hidden visibility.
#define LQ_SDK_API __attribute__((visibility("default")))

namespace lq {
constexpr int kApiVersion = LQ_API_VERSION;
}  // namespace lq
