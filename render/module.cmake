# render/: PNG output through libpng (Debian libpng-dev, in scripts/bootstrap.sh).
find_package(PNG REQUIRED)
target_link_libraries(faceless_lib PUBLIC PNG::PNG)
# The CLI and the tests include "render/render.h" from the repository root.
target_include_directories(faceless_lib PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})

# VTK (optional, issue 5): the skin surface as a mesh file (--mesh-out) and the
# views drawn by VTK (--engine vtk), all VTK calls in render_vtk.cpp behind
# render_vtk.h. On when Debian's libvtk9-dev is found; without it the build
# and every test still work (render_vtk_load.c says "built without VTK").
# -DCMAKE_DISABLE_FIND_PACKAGE_VTK=ON builds without it on purpose.
# Debian's VTK renders through GLX, so the X11 client library is needed too
# (render_vtk.cpp checks for a display before VTK could abort on a missing one).
#
# render_vtk.cpp is built as a module, faceless_vtk.so, that faceless dlopens
# only when --mesh-out or --engine vtk asks for VTK (render_vtk_load.c, always
# in faceless_lib): neither faceless nor the test programs link VTK, so the
# commands that do not use it do not load its 40 libraries, and faceless runs
# where they are not installed. The module takes the few faceless functions
# it needs from a table the loader passes (render_vtk_module.h says why), so
# it links VTK and X11 only.
find_package(Threads REQUIRED)
target_link_libraries(faceless_lib PUBLIC Threads::Threads ${CMAKE_DL_LIBS})
find_package(VTK 9 QUIET COMPONENTS
  CommonCore CommonDataModel CommonExecutionModel CommonTransforms
  FiltersCore FiltersGeneral IOXML RenderingCore RenderingOpenGL2)
find_package(X11 QUIET)
if(VTK_FOUND AND X11_FOUND)
  enable_language(CXX)
  add_library(faceless_vtk MODULE ${CMAKE_CURRENT_LIST_DIR}/render_vtk.cpp)
  # faceless_vtk.so next to the faceless binary, where the loader looks first.
  set_target_properties(faceless_vtk PROPERTIES
    PREFIX "" OUTPUT_NAME faceless_vtk
    LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}
    CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON
    LINK_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/render_vtk.map)
  target_include_directories(faceless_vtk PRIVATE
    ${CMAKE_SOURCE_DIR}/include ${CMAKE_SOURCE_DIR}/src ${CMAKE_SOURCE_DIR} ${NIFTI_INCLUDE_DIR}/nifti)
  target_link_libraries(faceless_vtk PRIVATE ${VTK_LIBRARIES} X11::X11)
  # Every symbol it uses is defined in it or in the libraries it links: the
  # faceless functions come through the host table, never from the binary
  # (--no-undefined, FACELESS_MODULE_LINK_OPTIONS in CMakeLists.txt).
  # The version script exports faceless_vtk_module alone.
  target_link_options(faceless_vtk PRIVATE ${FACELESS_MODULE_LINK_OPTIONS}
    -Wl,--version-script=${CMAKE_CURRENT_LIST_DIR}/render_vtk.map)
  # Registers VTK's OpenGL2 classes behind vtkRenderWindow::New() and friends.
  vtk_module_autoinit(TARGETS faceless_vtk MODULES ${VTK_LIBRARIES})
  target_compile_options(faceless_vtk PRIVATE -Wall -Wextra -Wshadow $<$<BOOL:${FACELESS_WERROR}>:-Werror>)
  # The loader's last resort (the test programs in build/tests/), and the
  # module built with every faceless: the build tree works without install.
  target_compile_definitions(faceless_lib PRIVATE FACELESS_HAVE_VTK=1
    "FACELESS_VTK_MODULE_BUILT=\"$<TARGET_FILE:faceless_vtk>\"")
  install(TARGETS faceless_vtk LIBRARY DESTINATION lib/faceless)
  set(FACELESS_HAVE_VTK ON)
  message(STATUS "faceless: VTK ${VTK_VERSION} found: --mesh-out and --engine vtk are on (module faceless_vtk.so)")
else()
  set(FACELESS_HAVE_VTK OFF)
  message(STATUS "faceless: VTK 9 not found (Debian: libvtk9-dev): --mesh-out and --engine vtk are off")
endif()
