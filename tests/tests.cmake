# Tests, registered with CTest. Unit tests (cmocka) are tests/unit/test_*.c, one executable each;
# CLI tests are tests/cli/*.sh, run with the built binary and bundled gazetteer.
file(GLOB UNIT_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/unit/test_*.c)
if(UNIT_TESTS AND NOT CMOCKA_FOUND)
  message(FATAL_ERROR "cmocka not found: install libcmocka-dev (see README)")
endif()
foreach(src ${UNIT_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_link_libraries(${name} PRIVATE libincmap PkgConfig::CMOCKA)
  target_compile_definitions(${name} PRIVATE
    INCMAP_TEST_DATA="${CMAKE_SOURCE_DIR}/tests/fixtures"
    INCMAP_TEST_GAZETTEER="${CMAKE_BINARY_DIR}/incmap-gazetteer.db")
  add_test(NAME unit/${name} COMMAND ${name})
endforeach()
# test_writer reads the layers back with OGR itself (incmap loads GDAL only when writing).
if(TARGET test_writer)
  target_link_libraries(test_writer PRIVATE GDAL::GDAL)
endif()

file(GLOB CLI_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/cli/test_*.sh)
foreach(script ${CLI_TESTS})
  get_filename_component(name ${script} NAME_WE)
  add_test(NAME cli/${name} COMMAND bash ${script} $<TARGET_FILE:incmap> ${CMAKE_SOURCE_DIR})
endforeach()

# Accuracy floors: the scorer runs the binary on tests/eval's annotated articles and fails when a
# metric falls below tests/eval/floors.json.
find_program(PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(PYTHON3)
  add_test(NAME eval/floors COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tests/eval/score.py
           --incmap $<TARGET_FILE:incmap> --key ${CMAKE_SOURCE_DIR}/tests/eval/key.jsonl
           --floors ${CMAKE_SOURCE_DIR}/tests/eval/floors.json)
endif()

# Acceptance tests with the real clients (tests/acceptance/test_*.sh): QGIS itself and an
# independent GeoJSON validator. test.sh installs them; without them a test exits 77 and CTest
# reports it skipped (test.sh sets INCMAP_REQUIRE_ACCEPTANCE=1, which turns that into a failure).
file(GLOB ACCEPTANCE_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/acceptance/test_*.sh)
foreach(script ${ACCEPTANCE_TESTS})
  get_filename_component(name ${script} NAME_WE)
  add_test(NAME acceptance/${name} COMMAND bash ${script} $<TARGET_FILE:incmap> ${CMAKE_SOURCE_DIR})
  set_tests_properties(acceptance/${name} PROPERTIES SKIP_RETURN_CODE 77)
endforeach()
