# src/mask: the noise refill shapes its spectrum with FFTW (single precision).
if(NOT TARGET PkgConfig::FFTW3F)
  pkg_check_modules(FFTW3F REQUIRED IMPORTED_TARGET fftw3f)
endif()
target_link_libraries(faceless_lib PUBLIC PkgConfig::FFTW3F)
