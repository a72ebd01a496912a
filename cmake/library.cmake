# The installable library (issue 17): libfaceless.so with a SONAME, the static
# libfaceless.a, faceless.h, faceless.pc and a CMake package. Included by the
# top CMakeLists.txt after every module has added its sources to faceless_lib.
#
# Every object is built once, position-independent with hidden visibility
# (faceless_lib). The CLI and the tests link faceless_lib, internals and all.
# What is installed exports the public API alone:
#  - the shared library links faceless_lib whole, and faceless.map keeps only
#    faceless_* global;
#  - the static library is faceless_lib relinked into one object whose hidden
#    symbols objcopy makes local, so an internal name (volume_new, mask_build,
#    ...) can never clash with one of the program that links it.
# Renaming the 200 internal functions instead would have touched every file.
set(FACELESS_INSTALL_LIBDIR lib)
set(FACELESS_INSTALL_INCLUDEDIR include)

add_library(faceless_shared SHARED ${CMAKE_CURRENT_LIST_DIR}/faceless.map)
target_link_libraries(faceless_shared PRIVATE "$<LINK_LIBRARY:WHOLE_ARCHIVE,faceless_lib>")
set_target_properties(faceless_shared PROPERTIES
  OUTPUT_NAME faceless VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR}
  LINKER_LANGUAGE C LINK_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/faceless.map)
target_link_options(faceless_shared PRIVATE -Wl,--version-script=${CMAKE_CURRENT_LIST_DIR}/faceless.map
  ${FACELESS_MODULE_LINK_OPTIONS})

find_program(FACELESS_OBJCOPY NAMES objcopy REQUIRED)
set(FACELESS_STATIC_DIR ${CMAKE_BINARY_DIR}/static)
set(FACELESS_STATIC_LIB ${FACELESS_STATIC_DIR}/libfaceless.a)
add_custom_command(
  OUTPUT ${FACELESS_STATIC_LIB}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${FACELESS_STATIC_DIR}
  COMMAND ${CMAKE_COMMAND} -E rm -f ${FACELESS_STATIC_LIB}
  COMMAND ${CMAKE_LINKER} -r -o ${FACELESS_STATIC_DIR}/faceless.o --whole-archive $<TARGET_FILE:faceless_lib>
  COMMAND ${FACELESS_OBJCOPY} --localize-hidden ${FACELESS_STATIC_DIR}/faceless.o
  COMMAND ${CMAKE_AR} rcs ${FACELESS_STATIC_LIB} ${FACELESS_STATIC_DIR}/faceless.o
  DEPENDS faceless_lib
  COMMENT "libfaceless.a: the public API only"
  VERBATIM)
add_custom_target(faceless_static ALL DEPENDS ${FACELESS_STATIC_LIB})

# What a static link needs besides libfaceless.a (faceless.pc's Libs.private
# and the CMake package's faceless::faceless_static).
set(FACELESS_PC_REQUIRES_PRIVATE "libdeflate nettle libsodium fftw3f libpng zlib")
set(FACELESS_PC_LIBS_PRIVATE "-lnifti2 -lznz")
foreach(lib ${OpenMP_C_LIB_NAMES})
  string(APPEND FACELESS_PC_LIBS_PRIVATE " -l${lib}")
endforeach()
string(APPEND FACELESS_PC_LIBS_PRIVATE " -lm -ldl")
set(FACELESS_STATIC_LINK_LIBS ${NIFTI2_LIB} ${ZNZ_LIB} ${DEFLATE_LINK_LIBRARIES} ${NETTLE_LINK_LIBRARIES} ${SODIUM_LINK_LIBRARIES}
  ${FFTW3F_LINK_LIBRARIES} ${PNG_LIBRARIES} ${ZLIB_LIBRARIES} ${OpenMP_C_LIBRARIES} ${M_LIB} ${CMAKE_DL_LIBS})

configure_file(${CMAKE_CURRENT_LIST_DIR}/faceless.pc.in ${CMAKE_BINARY_DIR}/faceless.pc @ONLY)
configure_file(${CMAKE_CURRENT_LIST_DIR}/facelessConfig.cmake.in ${CMAKE_BINARY_DIR}/facelessConfig.cmake @ONLY)
include(CMakePackageConfigHelpers)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/facelessConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)

install(TARGETS faceless_shared LIBRARY DESTINATION ${FACELESS_INSTALL_LIBDIR})
install(FILES ${FACELESS_STATIC_LIB} DESTINATION ${FACELESS_INSTALL_LIBDIR})
install(FILES ${CMAKE_BINARY_DIR}/faceless.pc DESTINATION ${FACELESS_INSTALL_LIBDIR}/pkgconfig)
install(FILES ${CMAKE_BINARY_DIR}/facelessConfig.cmake ${CMAKE_BINARY_DIR}/facelessConfigVersion.cmake
  DESTINATION ${FACELESS_INSTALL_LIBDIR}/cmake/faceless)
install(FILES ${CMAKE_SOURCE_DIR}/LICENSE ${CMAKE_SOURCE_DIR}/templates/LICENSE-colin27.txt
  DESTINATION share/doc/faceless)

# Python (issue 17): the faceless package over libfaceless.so through ctypes,
# PREFIX/lib/python3/dist-packages/faceless (PYTHONPATH, README); it finds
# the library two folders up, in PREFIX/lib.
install(DIRECTORY ${CMAKE_SOURCE_DIR}/python/faceless DESTINATION ${FACELESS_INSTALL_LIBDIR}/python3/dist-packages
  PATTERN __pycache__ EXCLUDE)
