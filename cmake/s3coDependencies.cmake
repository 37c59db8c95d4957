# What s3co's core headers need; shared by the build and the installed
# package (inside a package config, a missing dependency must mark s3co not
# found rather than stop the consumer's configure).
include(CMakeFindDependencyMacro)
macro(s3co_find_dependency)
  if(CMAKE_FIND_PACKAGE_NAME)
    find_dependency(${ARGN})
  else()
    find_package(${ARGN} REQUIRED)
  endif()
endmacro()

s3co_find_dependency(Boost 1.81 CONFIG COMPONENTS headers)
s3co_find_dependency(OpenSSL 3)
s3co_find_dependency(pugixml CONFIG)
set(THREADS_PREFER_PTHREAD_FLAG ON)
s3co_find_dependency(Threads)
