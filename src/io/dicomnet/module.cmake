# DICOM networking for `faceless serve` (issue 19): dcmnet behind
# src/io/dicomnet/dicomnet.h, in a module, faceless_dicomnet.so, loaded on the
# first network call (dicomnet_load.c), as faceless_dicom.so is
# (src/io/dicom/module.cmake). Optional: without DCMTK's dcmnet the module is
# not built and `faceless serve` refuses in one line (exit 4); everything
# else works.
find_library(FACELESS_DCMTK_dcmnet dcmnet)
find_path(FACELESS_DCMNET_INCLUDE dcmtk/dcmnet/scppool.h)
target_sources(faceless_lib PRIVATE ${CMAKE_CURRENT_LIST_DIR}/dicomnet_load.c)
if(NOT FACELESS_DCMTK_dcmnet OR NOT FACELESS_DCMNET_INCLUDE OR NOT FACELESS_DCMTK_LIBS)
  message(STATUS "faceless: DCMTK's dcmnet not found: building without DICOM networking: `faceless serve` refuses, exit 4")
  set(FACELESS_HAVE_DICOMNET 0)
  return()
endif()
set(FACELESS_HAVE_DICOMNET 1)
target_compile_definitions(faceless_lib PRIVATE FACELESS_HAVE_DICOMNET=1)

add_library(faceless_dicomnet MODULE
  ${CMAKE_CURRENT_LIST_DIR}/dicomnet_scp.cpp ${CMAKE_CURRENT_LIST_DIR}/dicomnet_scu.cpp
  ${CMAKE_CURRENT_LIST_DIR}/dicomnet_module.cpp)
set_target_properties(faceless_dicomnet PROPERTIES
  PREFIX "" OUTPUT_NAME faceless_dicomnet
  LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}
  CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON
  LINK_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/dicomnet.map)
target_include_directories(faceless_dicomnet PRIVATE ${CMAKE_SOURCE_DIR}/include ${CMAKE_SOURCE_DIR}/src)
target_include_directories(faceless_dicomnet SYSTEM PRIVATE ${FACELESS_DCMNET_INCLUDE})
target_link_libraries(faceless_dicomnet PRIVATE ${FACELESS_DCMTK_dcmnet} ${FACELESS_DCMTK_LIBS} Threads::Threads)
target_link_options(faceless_dicomnet PRIVATE -Wl,--version-script=${CMAKE_CURRENT_LIST_DIR}/dicomnet.map
  ${FACELESS_MODULE_LINK_OPTIONS})
target_compile_options(faceless_dicomnet PRIVATE -Wall -Wextra -Wshadow $<$<BOOL:${FACELESS_WERROR}>:-Werror>)
target_compile_definitions(faceless_lib PRIVATE "FACELESS_DICOMNET_MODULE_BUILT=\"$<TARGET_FILE:faceless_dicomnet>\"")
add_dependencies(faceless_lib faceless_dicomnet)
install(TARGETS faceless_dicomnet LIBRARY DESTINATION lib/faceless)
