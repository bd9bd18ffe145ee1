# lq_add_plugin(NAME SOURCES ... [CUDA_SOURCES ...] [LINK ...])
# Builds a llama-quant plugin: a shared library loaded with Boost.DLL, with hidden visibility so that
# only its exported aliases are seen, placed in the build's plugin folder where the CLI looks first.
# Works both inside this project and out of tree after find_package(llama-quant).
function(lq_add_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LINK" ${ARGN})
  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE llama_quant::sdk ${ARG_LINK})
  set_target_properties(${name} PROPERTIES
    PREFIX "lq_plugin_"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(DEFINED LQ_PLUGIN_OUTPUT_DIR)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${LQ_PLUGIN_OUTPUT_DIR})
  endif()
  if(COMMAND lq_target_warnings)
    lq_target_warnings(${name})
  endif()
endfunction()
