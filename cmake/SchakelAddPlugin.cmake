# schakel_add_plugin(name sources...): builds a Schakel connector plugin as a MODULE library
# (lib<name>.so) that exports exactly one symbol, schakel_plugin_entry: hidden visibility for
# everything, and a linker version script so no inline or template symbol leaks out either.
# Used in the tree and, installed with the SDK, by out-of-tree plugins (find_package(Schakel)).
function(schakel_add_plugin name)
  if(NOT ARGN)
    message(FATAL_ERROR "schakel_add_plugin(${name}): no sources")
  endif()
  set(map "${CMAKE_BINARY_DIR}/schakel_plugin_exports.map")
  if(NOT EXISTS "${map}")
    file(WRITE "${map}" "{\n  global: schakel_plugin_entry;\n  local: *;\n};\n")
  endif()
  add_library(${name} MODULE ${ARGN})
  target_link_libraries(${name} PRIVATE Schakel::plugin_api)
  set_target_properties(${name} PROPERTIES
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    CXX_STANDARD 20
    CXX_STANDARD_REQUIRED ON
    POSITION_INDEPENDENT_CODE ON
    LINK_DEPENDS "${map}")
  target_link_options(${name} PRIVATE "LINKER:--version-script=${map}")
endfunction()
