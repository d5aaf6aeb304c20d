# The plugin SDK: `cmake --install` puts plugin.h, plugin.hpp and a CMake package in the prefix,
# so that out of tree `find_package(Schakel)` and `schakel_add_plugin(name sources...)` build a
# plugin against exactly the ABI of this Schakel.
include(CMakePackageConfigHelpers)
include(GNUInstallDirs)

set(SCHAKEL_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/Schakel")
install(FILES ${PROJECT_SOURCE_DIR}/core/include/schakel/plugin.h
              ${PROJECT_SOURCE_DIR}/core/include/schakel/plugin.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/schakel COMPONENT sdk)
set_target_properties(schakel_plugin_api PROPERTIES EXPORT_NAME plugin_api)
install(TARGETS schakel_plugin_api EXPORT SchakelTargets COMPONENT sdk)
install(EXPORT SchakelTargets NAMESPACE Schakel:: DESTINATION ${SCHAKEL_CMAKE_DIR} COMPONENT sdk)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/SchakelConfig.cmake.in
  ${PROJECT_BINARY_DIR}/sdk/SchakelConfig.cmake INSTALL_DESTINATION ${SCHAKEL_CMAKE_DIR})
# A plugin built against 0.x.y keeps loading in any 0.* host with the same ABI major; the host
# itself checks the ABI version at load time.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/sdk/SchakelConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/sdk/SchakelConfig.cmake
              ${PROJECT_BINARY_DIR}/sdk/SchakelConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/SchakelAddPlugin.cmake
        DESTINATION ${SCHAKEL_CMAKE_DIR} COMPONENT sdk)
