# find_package(onnxrun): imports onnxrun::onnxrun (shared) and
# onnxrun::onnxrun_static (static, with its dependencies: protobuf-c and
# OpenBLAS through pkg-config, Threads, m).
include(CMakeFindDependencyMacro)
find_dependency(PkgConfig)
find_dependency(Threads)
if(NOT TARGET PkgConfig::PROTOBUF_C)
  pkg_check_modules(PROTOBUF_C REQUIRED IMPORTED_TARGET libprotobuf-c)
endif()
if(NOT TARGET PkgConfig::OPENBLAS)
  pkg_check_modules(OPENBLAS REQUIRED IMPORTED_TARGET openblas)
endif()
include("${CMAKE_CURRENT_LIST_DIR}/onnxrunTargets.cmake")
