# DICOM series in and out (issue 6): DCMTK behind src/io/dicom/dicom.h, all
# DCMTK calls in dicom_dcmtk.cpp; OpenJPEG for JPEG 2000 (DCMTK has none).
# Libraries are found one by one rather than through DCMTKConfig.cmake,
# because Debian's config file fails when the dcmtk command-line tools are
# not installed.
#
# dicom_dcmtk.cpp and dicom_j2k.c are built as a module, faceless_dicom.so,
# that faceless dlopens on the first DICOM call (dicom_load.c, in
# faceless_lib): neither faceless nor the test programs link DCMTK, OpenJPEG
# or libstdc++, so NIfTI commands do not load them (5.35 MB of RSS in every
# process, issue 4). The module takes the one faceless function it needs
# from a table the loader passes (dicom_module.h says why), so it links
# DCMTK and OpenJPEG only. DCMTK is required: the module is always built, and
# installed to lib/faceless.
enable_language(CXX)
find_path(FACELESS_DCMTK_INCLUDE dcmtk/dcmdata/dctk.h REQUIRED)
set(FACELESS_DCMTK_LIBS)
foreach(lib dcmjpls dcmjpeg dcmimage dcmimgle dcmdata oflog ofstd)
  find_library(FACELESS_DCMTK_${lib} ${lib} REQUIRED)
  list(APPEND FACELESS_DCMTK_LIBS ${FACELESS_DCMTK_${lib}})
endforeach()
pkg_check_modules(OPENJPEG REQUIRED IMPORTED_TARGET libopenjp2)
find_package(Threads REQUIRED)

set(FACELESS_DICOM_MODULE_SOURCES ${CMAKE_CURRENT_LIST_DIR}/dicom_dcmtk.cpp ${CMAKE_CURRENT_LIST_DIR}/dicom_j2k.c)
file(GLOB FACELESS_DICOM_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.c)
list(REMOVE_ITEM FACELESS_DICOM_SOURCES ${FACELESS_DICOM_MODULE_SOURCES})
target_sources(faceless_lib PRIVATE ${FACELESS_DICOM_SOURCES})
target_link_libraries(faceless_lib PUBLIC Threads::Threads ${CMAKE_DL_LIBS})
target_compile_definitions(faceless_lib PUBLIC FACELESS_HAVE_DICOM=1)

add_library(faceless_dicom MODULE ${FACELESS_DICOM_MODULE_SOURCES})
# faceless_dicom.so next to the faceless binary, where the loader looks first.
set_target_properties(faceless_dicom PROPERTIES
  PREFIX "" OUTPUT_NAME faceless_dicom
  LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}
  C_VISIBILITY_PRESET hidden CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON
  LINK_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/dicom.map)
target_include_directories(faceless_dicom PRIVATE
  ${CMAKE_SOURCE_DIR}/include ${CMAKE_SOURCE_DIR}/src ${NIFTI_INCLUDE_DIR}/nifti)
target_include_directories(faceless_dicom SYSTEM PRIVATE ${FACELESS_DCMTK_INCLUDE})
target_link_libraries(faceless_dicom PRIVATE ${FACELESS_DCMTK_LIBS} PkgConfig::OPENJPEG)
# The version script exports faceless_dicom_module alone; --no-undefined
# (CMakeLists.txt) makes a faceless function called without the host table a
# link error.
target_link_options(faceless_dicom PRIVATE -Wl,--version-script=${CMAKE_CURRENT_LIST_DIR}/dicom.map
  ${FACELESS_MODULE_LINK_OPTIONS})
target_compile_options(faceless_dicom PRIVATE $<$<COMPILE_LANGUAGE:C>:${FACELESS_WARNINGS}>
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wshadow $<$<BOOL:${FACELESS_WERROR}>:-Werror>>)
# The loader's last resort (the test programs in build/tests/, the fuzz
# targets in build/tests/fuzz/), and the module built before anything that
# links faceless_lib: every build tree program finds it without install.
target_compile_definitions(faceless_lib PRIVATE "FACELESS_DICOM_MODULE_BUILT=\"$<TARGET_FILE:faceless_dicom>\"")
add_dependencies(faceless_lib faceless_dicom)
install(TARGETS faceless_dicom LIBRARY DESTINATION lib/faceless)
