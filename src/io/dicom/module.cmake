# DICOM series in and out (issue 6): DCMTK behind src/io/dicom/dicom.h, all
# DCMTK calls in dicom_dcmtk.cpp; OpenJPEG for JPEG 2000 (DCMTK has none).
# Libraries are found one by one rather than through DCMTKConfig.cmake,
# because Debian's config file fails when the dcmtk command-line tools are
# not installed.
enable_language(CXX)
find_path(FACELESS_DCMTK_INCLUDE dcmtk/dcmdata/dctk.h REQUIRED)
set(FACELESS_DCMTK_LIBS)
foreach(lib dcmjpls dcmjpeg dcmimage dcmimgle dcmdata oflog ofstd)
  find_library(FACELESS_DCMTK_${lib} ${lib} REQUIRED)
  list(APPEND FACELESS_DCMTK_LIBS ${FACELESS_DCMTK_${lib}})
endforeach()
pkg_check_modules(OPENJPEG REQUIRED IMPORTED_TARGET libopenjp2)

file(GLOB FACELESS_DICOM_SOURCES CONFIGURE_DEPENDS
  ${CMAKE_CURRENT_LIST_DIR}/*.c ${CMAKE_CURRENT_LIST_DIR}/*.cpp)
target_sources(faceless_lib PRIVATE ${FACELESS_DICOM_SOURCES})
target_include_directories(faceless_lib SYSTEM PRIVATE ${FACELESS_DCMTK_INCLUDE})
target_link_libraries(faceless_lib PUBLIC ${FACELESS_DCMTK_LIBS} PkgConfig::OPENJPEG)
target_compile_options(faceless_lib PRIVATE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wshadow $<$<BOOL:${FACELESS_WERROR}>:-Werror>>)
target_compile_definitions(faceless_lib PUBLIC FACELESS_HAVE_DICOM=1)
