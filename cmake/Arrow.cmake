# Arrow C++ and Parquet from the pinned pyarrow wheel in the project's .venv (ADR-002).
# The wheel ships headers and shared libraries built with the C++11 ABI; bootstrap.sh has
# created the unversioned .so symlinks. Every target linking these gets an RPATH to the
# wheel's directory, so the binary runs without LD_LIBRARY_PATH.
set(LATEBIND_PYTHON "${CMAKE_SOURCE_DIR}/.venv/bin/python" CACHE FILEPATH "Python of the project venv")
if(NOT EXISTS "${LATEBIND_PYTHON}")
  message(FATAL_ERROR "${LATEBIND_PYTHON} not found: run scripts/bootstrap.sh (make does it)")
endif()
execute_process(
  COMMAND "${LATEBIND_PYTHON}" -c
    "import pyarrow as pa; print(pa.get_include()); print(pa.get_library_dirs()[0]); print(pa.__version__)"
  OUTPUT_VARIABLE _pa_out OUTPUT_STRIP_TRAILING_WHITESPACE
  RESULT_VARIABLE _pa_rc)
if(NOT _pa_rc EQUAL 0)
  message(FATAL_ERROR "cannot import pyarrow from ${LATEBIND_PYTHON}")
endif()
string(REPLACE "\n" ";" _pa_out "${_pa_out}")
list(GET _pa_out 0 ARROW_INCLUDE_DIR)
list(GET _pa_out 1 ARROW_LIB_DIR)
list(GET _pa_out 2 ARROW_VERSION)
message(STATUS "Arrow ${ARROW_VERSION} from pyarrow: ${ARROW_LIB_DIR}")

foreach(_lib arrow parquet arrow_dataset arrow_compute arrow_acero)
  if(NOT EXISTS "${ARROW_LIB_DIR}/lib${_lib}.so")
    message(FATAL_ERROR "${ARROW_LIB_DIR}/lib${_lib}.so missing: pyarrow.create_library_symlinks() not run?")
  endif()
  add_library(arrow_wheel::${_lib} SHARED IMPORTED)
  set_target_properties(arrow_wheel::${_lib} PROPERTIES
    IMPORTED_LOCATION "${ARROW_LIB_DIR}/lib${_lib}.so"
    INTERFACE_INCLUDE_DIRECTORIES "${ARROW_INCLUDE_DIR}")
endforeach()
set_property(TARGET arrow_wheel::parquet PROPERTY INTERFACE_LINK_LIBRARIES arrow_wheel::arrow)
set_property(TARGET arrow_wheel::arrow_dataset PROPERTY INTERFACE_LINK_LIBRARIES
  arrow_wheel::parquet arrow_wheel::arrow_acero arrow_wheel::arrow_compute arrow_wheel::arrow)

set(CMAKE_BUILD_RPATH "${ARROW_LIB_DIR}")
set(CMAKE_INSTALL_RPATH "${ARROW_LIB_DIR}")
