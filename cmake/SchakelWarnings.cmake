# Warnings are errors on project code; third-party headers come in as SYSTEM includes.
function(schakel_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
    -Wno-sign-conversion -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
    -Wformat=2 -Werror
    # GCC 12 reports false positives inside libstdc++'s std::string at -O2 (GCC bug 105329).
    $<$<CXX_COMPILER_ID:GNU>:-Wno-array-bounds -Wno-stringop-overflow -Wno-stringop-overread -Wno-restrict>)
endfunction()

if(SCHAKEL_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()

# The headers nearly every translation unit includes, precompiled once per target.
function(schakel_pch target)
  target_precompile_headers(${target} PRIVATE <string> <vector> <map> <memory> <functional>
    <optional> <nlohmann/json.hpp>)
endfunction()

# A module library under core/: sources, the core include root, warnings as errors.
function(schakel_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${M_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/core ${PROJECT_SOURCE_DIR}/core/include)
  target_link_libraries(${name} PUBLIC ${M_DEPS})
  schakel_warnings(${name})
  schakel_pch(${name})
endfunction()
