# render/: PNG output through libpng (Debian libpng-dev, in scripts/bootstrap.sh).
find_package(PNG REQUIRED)
target_link_libraries(faceless_lib PUBLIC PNG::PNG)
# The CLI and the tests include "render/render.h" from the repository root.
target_include_directories(faceless_lib PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})

# VTK (optional, issue 5): the skin surface as a mesh file (--mesh-out) and the
# views drawn by VTK (--engine vtk), all VTK calls in render_vtk.cpp behind
# render_vtk.h. On when Debian's libvtk9-dev is found; without it the build
# and every test still work (render_vtk_none.c says "built without VTK").
# -DCMAKE_DISABLE_FIND_PACKAGE_VTK=ON builds without it on purpose.
# Debian's VTK renders through GLX, so the X11 client library is needed too
# (render_vtk.cpp checks for a display before VTK could abort on a missing one).
find_package(VTK 9 QUIET COMPONENTS
  CommonCore CommonDataModel CommonExecutionModel CommonTransforms
  FiltersCore FiltersGeneral IOXML RenderingCore RenderingOpenGL2)
find_package(X11 QUIET)
if(VTK_FOUND AND X11_FOUND)
  enable_language(CXX)
  target_sources(faceless_lib PRIVATE ${CMAKE_CURRENT_LIST_DIR}/render_vtk.cpp)
  target_link_libraries(faceless_lib PUBLIC ${VTK_LIBRARIES} X11::X11)
  # Registers VTK's OpenGL2 classes behind vtkRenderWindow::New() and friends.
  vtk_module_autoinit(TARGETS faceless_lib MODULES ${VTK_LIBRARIES})
  target_compile_options(faceless_lib PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wshadow $<$<BOOL:${FACELESS_WERROR}>:-Werror>>)
  target_compile_definitions(faceless_lib PUBLIC FACELESS_HAVE_VTK=1)
  set(FACELESS_HAVE_VTK ON)
  message(STATUS "faceless: VTK ${VTK_VERSION} found: --mesh-out and --engine vtk are on")
else()
  set(FACELESS_HAVE_VTK OFF)
  message(STATUS "faceless: VTK 9 not found (Debian: libvtk9-dev): --mesh-out and --engine vtk are off")
endif()
