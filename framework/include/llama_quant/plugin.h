// How a shared library declares itself a llama-quant plugin.
//
// A plugin .so exports, through Boost.DLL aliases, exactly these symbols:
//   lq_plugin_api_version  int()                  checked first; must equal the loader's LQ_API_VERSION
//   lq_plugin_info         const lq::PluginInfo*()  name, kind, version, description
//   lq_create_backend      lq::QuantBackend*()      for kind "backend"
//   lq_create_task         lq::EvalTask*()          for kind "task"
// and optionally lq_plugin_commands / lq_run_command for command-line verbs of its own.
// Use the LQ_BACKEND_PLUGIN / LQ_TASK_PLUGIN macros below rather than writing these by hand.
#pragma once

#include <boost/dll/alias.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "llama_quant/api.h"
#include "llama_quant/backend.h"
#include "llama_quant/task.h"

namespace lq {

struct PluginInfo {
  const char* name;         // what experiments refer to, e.g. "bnb4"
  const char* kind;         // "backend" or "task"
  const char* version;      // the plugin's own version
  const char* description;  // one line
};

// A command-line verb a plugin adds to `llama-quant` (e.g. `llama-quant coqa-score`).
struct PluginCommand {
  const char* name;
  const char* summary;
};

using CommandList = std::vector<PluginCommand>;
// Runs verb `name` with its arguments (after the verb); returns the process exit code.
using CommandFn = int(const std::string& name, const std::vector<std::string>& args, std::ostream& out,
                      std::ostream& err);

namespace plugin_detail {
inline int api_version() { return LQ_API_VERSION; }
}  // namespace plugin_detail

}  // namespace lq

#define LQ_PLUGIN_COMMON_(NAME, KIND, VERSION, DESCRIPTION)                            \
  namespace lq_plugin_export {                                                         \
  inline int lq_plugin_api_version_fn() { return ::lq::plugin_detail::api_version(); } \
  inline const ::lq::PluginInfo* lq_plugin_info_fn() {                                 \
    static const ::lq::PluginInfo info{NAME, KIND, VERSION, DESCRIPTION};              \
    return &info;                                                                      \
  }                                                                                    \
  }                                                                                    \
  BOOST_DLL_ALIAS(lq_plugin_export::lq_plugin_api_version_fn, lq_plugin_api_version)   \
  BOOST_DLL_ALIAS(lq_plugin_export::lq_plugin_info_fn, lq_plugin_info)

// Declares a quantization backend plugin whose class CLASS derives from lq::QuantBackend and is
// default-constructible. Use once, in one source file of the plugin.
#define LQ_BACKEND_PLUGIN(CLASS, NAME, VERSION, DESCRIPTION)                \
  LQ_PLUGIN_COMMON_(NAME, "backend", VERSION, DESCRIPTION)                  \
  namespace lq_plugin_export {                                              \
  inline ::lq::QuantBackend* lq_create_backend_fn() { return new CLASS(); } \
  }                                                                         \
  BOOST_DLL_ALIAS(lq_plugin_export::lq_create_backend_fn, lq_create_backend)

// Declares an evaluation task plugin whose class CLASS derives from lq::EvalTask.
#define LQ_TASK_PLUGIN(CLASS, NAME, VERSION, DESCRIPTION)            \
  LQ_PLUGIN_COMMON_(NAME, "task", VERSION, DESCRIPTION)              \
  namespace lq_plugin_export {                                       \
  inline ::lq::EvalTask* lq_create_task_fn() { return new CLASS(); } \
  }                                                                  \
  BOOST_DLL_ALIAS(lq_plugin_export::lq_create_task_fn, lq_create_task)

// Adds command-line verbs: LIST_FN returns lq::CommandList, RUN_FN has the signature lq::CommandFn.
#define LQ_PLUGIN_COMMANDS(LIST_FN, RUN_FN)                                                              \
  namespace lq_plugin_export {                                                                           \
  inline const ::lq::CommandList* lq_plugin_commands_fn() {                                              \
    static const ::lq::CommandList list = LIST_FN();                                                     \
    return &list;                                                                                        \
  }                                                                                                      \
  inline int lq_run_command_fn(const std::string& n, const std::vector<std::string>& a, std::ostream& o, \
                               std::ostream& e) {                                                        \
    return RUN_FN(n, a, o, e);                                                                           \
  }                                                                                                      \
  }                                                                                                      \
  BOOST_DLL_ALIAS(lq_plugin_export::lq_plugin_commands_fn, lq_plugin_commands)                           \
  BOOST_DLL_ALIAS(lq_plugin_export::lq_run_command_fn, lq_run_command)
