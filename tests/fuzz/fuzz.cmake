# fuzz.cmake: the libFuzzer harnesses (tests/fuzz/fuzz_*.c), one executable each, built when
# INCMAP_FUZZ is ON (tests/fuzz/run.sh does it in build-fuzz/). Included before the library is
# defined because the library itself must carry the coverage instrumentation: libFuzzer is
# guided by the branches of our parsers, not by the few lines of a harness. Sanitizers make
# every memory error and undefined behaviour a crash that libFuzzer saves as an input.
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "INCMAP_FUZZ needs clang and its libFuzzer (Debian: clang, libclang-rt-14-dev): "
                      "configure with -DCMAKE_C_COMPILER=clang, or run tests/fuzz/run.sh")
endif()
add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
                    -fno-omit-frame-pointer)
add_link_options(-fsanitize=address,undefined)

file(GLOB FUZZ_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_*.c)
foreach(src ${FUZZ_SOURCES})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  # libincmap is defined after this file is included; CMake resolves the name at generation.
  target_link_libraries(${name} PRIVATE libincmap)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  target_compile_definitions(${name} PRIVATE INCMAP_FUZZ_GAZETTEER="${CMAKE_BINARY_DIR}/incmap-gazetteer.db")
endforeach()
