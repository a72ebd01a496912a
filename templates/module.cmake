# templates/: the template-set loader, the embedded default set, and the tool that
# builds the set from Colin27 (templates/build_template.sh).
#
# Embedding: gcc 12 has no #embed, so a CMake script turns each committed
# templates/*.nii.gz into a C array (cmake/embed.cmake) at build time. The
# face, guard and depth files (masking issues) are embedded when present.
set(FACELESS_TEMPLATE_FILES)
foreach(part head brain face guard depth)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/templates/${part}.nii.gz)
    list(APPEND FACELESS_TEMPLATE_FILES ${CMAKE_CURRENT_SOURCE_DIR}/templates/${part}.nii.gz)
  endif()
endforeach()
string(REPLACE ";" "," FACELESS_TEMPLATE_FILES_ARG "${FACELESS_TEMPLATE_FILES}")
set(FACELESS_TEMPLATE_EMBED_C ${CMAKE_CURRENT_BINARY_DIR}/template_embedded.c)
add_custom_command(
  OUTPUT ${FACELESS_TEMPLATE_EMBED_C}
  COMMAND ${CMAKE_COMMAND} -DOUT=${FACELESS_TEMPLATE_EMBED_C} "-DFILES=${FACELESS_TEMPLATE_FILES_ARG}"
          -DINCLUDE=templates/template_embedded.h -DTYPE=template_embedded_file -DTABLE=template_embedded_files
          -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/embed.cmake
  DEPENDS ${FACELESS_TEMPLATE_FILES} ${CMAKE_CURRENT_SOURCE_DIR}/cmake/embed.cmake
  COMMENT "Embedding template set" VERBATIM)
target_sources(faceless_lib PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/templates/template_set.c
                                    ${FACELESS_TEMPLATE_EMBED_C})

find_package(PkgConfig REQUIRED)
add_executable(template_build EXCLUDE_FROM_ALL ${CMAKE_CURRENT_SOURCE_DIR}/templates/tools/template_build.c)
target_compile_options(template_build PRIVATE ${FACELESS_WARNINGS})
target_include_directories(template_build PRIVATE ${NIFTI_INCLUDE_DIR})
target_link_libraries(template_build PRIVATE ${NIFTI2_LIB} ${ZNZ_LIB} ZLIB::ZLIB ${M_LIB})

# The registration's global search (src/register/reg_search.c) uses FFTW3 (single precision).
pkg_check_modules(FFTW3F REQUIRED IMPORTED_TARGET fftw3f)
target_link_libraries(faceless_lib PUBLIC PkgConfig::FFTW3F)

# register.h includes "templates/template_set.h": users of the library (CLI,
# tests, tools) need the repository root on their include path too.
target_include_directories(faceless_lib PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
