# `cmake --install` installs the CLI, the plugins, the SDK headers and a package config, so that a
# plugin can be built out of tree with find_package(llama-quant) and lq_add_plugin().
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS llama-quant RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${LQ_PLUGIN_OUTPUT_DIR}/ DESTINATION ${CMAKE_INSTALL_LIBDIR}/llama-quant/plugins
        FILES_MATCHING PATTERN "*.so")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/framework/include/llama_quant DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS llama_quant_sdk llama_quant_cuda_sdk EXPORT llama-quant-targets)
install(EXPORT llama-quant-targets NAMESPACE llama_quant_internal::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/llama-quant)
install(FILES ${PROJECT_SOURCE_DIR}/cmake/LqPlugin.cmake DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/llama-quant)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/llama-quantConfig.cmake.in
  ${CMAKE_BINARY_DIR}/llama-quantConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/llama-quant)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/llama-quantConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/llama-quantConfig.cmake ${CMAKE_BINARY_DIR}/llama-quantConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/llama-quant)
