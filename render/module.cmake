# render/: PNG output through libpng (Debian libpng-dev, in scripts/bootstrap.sh).
find_package(PNG REQUIRED)
target_link_libraries(faceless_lib PUBLIC PNG::PNG)
# The CLI and the tests include "render/render.h" from the repository root.
target_include_directories(faceless_lib PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
