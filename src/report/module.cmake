# src/report/: the QC page's HTML, CSS and JavaScript are source files in
# src/report/qc_page/ (checked with node --check by
# tests/integration/qc_page_sources.sh), compiled into the library at build
# time by cmake/embed.cmake (report_page_files[], qc_page_files.h).
#
# NiiVue (the page's 3D view) is optional, as VTK is: `npm ci` in
# src/report/qc_page (scripts/bootstrap.sh does it; package-lock.json pins the
# version) puts its bundle where CMake looks; without it the page keeps the
# PNG renders alone. -DFACELESS_NIIVUE=OFF builds without it anyway,
# -DFACELESS_NIIVUE_JS=FILE takes another copy of dist/niivue.umd.js.
option(FACELESS_NIIVUE "Embed NiiVue for the QC page's 3D view when its bundle is present" ON)
set(FACELESS_NIIVUE_JS "${CMAKE_CURRENT_SOURCE_DIR}/src/report/qc_page/node_modules/@niivue/niivue/dist/niivue.umd.js"
    CACHE FILEPATH "NiiVue's UMD bundle (npm ci in src/report/qc_page)")
set(page_dir ${CMAKE_CURRENT_SOURCE_DIR}/src/report/qc_page)
set(page_files ${page_dir}/page.html ${page_dir}/subject.html ${page_dir}/page.css ${page_dir}/page.js
               ${page_dir}/view3d.js)
if(FACELESS_NIIVUE AND EXISTS ${FACELESS_NIIVUE_JS})
  # its licence goes into every page that carries it, and beside faceless's
  list(APPEND page_files ${FACELESS_NIIVUE_JS} ${page_dir}/LICENSE-niivue.txt)
  install(FILES ${page_dir}/LICENSE-niivue.txt DESTINATION share/doc/faceless)
  set(FACELESS_HAVE_NIIVUE 1)
  message(STATUS "QC page 3D view: NiiVue from ${FACELESS_NIIVUE_JS}")
elseif(NOT FACELESS_NIIVUE)
  set(FACELESS_HAVE_NIIVUE 0)
  message(STATUS "QC page 3D view: off (-DFACELESS_NIIVUE=OFF)")
else()
  set(FACELESS_HAVE_NIIVUE 0)
  message(STATUS "QC page 3D view: off (no NiiVue bundle at ${FACELESS_NIIVUE_JS}; run scripts/bootstrap.sh)")
endif()
string(REPLACE ";" "," page_files_arg "${page_files}")
set(page_c ${CMAKE_CURRENT_BINARY_DIR}/qc_page_files.c)
add_custom_command(
  OUTPUT ${page_c}
  COMMAND ${CMAKE_COMMAND} -DOUT=${page_c} "-DFILES=${page_files_arg}" -DGZIP=niivue.umd.js
          -DINCLUDE=report/qc_page_files.h -DTYPE=report_page_file -DTABLE=report_page_files
          -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/embed.cmake
  DEPENDS ${page_files} ${CMAKE_CURRENT_SOURCE_DIR}/cmake/embed.cmake
  COMMENT "Embedding the QC page's sources" VERBATIM)
target_sources(faceless_lib PRIVATE ${page_c})
