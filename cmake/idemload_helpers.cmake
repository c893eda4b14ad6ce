# idemload_layer(NAME DEPS ...): a static library from src/NAME/**/*.cpp, unit tests
# (*_test.cpp) and fuzz targets (*_fuzz.cpp) excluded; they are collected by tests/ and fuzz/.
function(idemload_layer name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${name}/*.cpp)
  list(FILTER sources EXCLUDE REGEX "_(test|fuzz)\\.cpp$")
  if(NOT sources)  # a layer with no code yet
    add_library(idemload_${name} INTERFACE)
    target_link_libraries(idemload_${name} INTERFACE ${ARG_DEPS})
    return()
  endif()
  add_library(idemload_${name} STATIC ${sources})
  target_link_libraries(idemload_${name} PUBLIC ${ARG_DEPS})
  target_include_directories(idemload_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  idemload_warnings(idemload_${name})
endfunction()

# idemload_test_suite(NAME LABEL SOURCES...): one gtest executable whose tests carry LABEL.
function(idemload_test_suite name label)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE idemload_test_support idemload_eval GTest::gtest GTest::gtest_main nlohmann_json::nlohmann_json)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_compile_definitions(${name} PRIVATE
    IDEMLOAD_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    IDEMLOAD_FIXTURES_DIR="${PROJECT_SOURCE_DIR}/../shared/fixtures"
    IDEMLOAD_BINARY="$<TARGET_FILE:idemload>")
  add_dependencies(${name} idemload)
  idemload_warnings(${name})
  gtest_discover_tests(${name} PROPERTIES LABELS ${label} DISCOVERY_TIMEOUT 60)
endfunction()
