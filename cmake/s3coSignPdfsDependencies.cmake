# What the sign_pdfs pipeline (include/s3co/pipelines/) needs beyond the core.
# The build requires it; the installed package looks for it quietly, so a
# project that uses the core only does not need simdjson installed.
if(CMAKE_FIND_PACKAGE_NAME)
  find_package(simdjson CONFIG QUIET)
  set(s3co_sign_pdfs_dependencies_found ${simdjson_FOUND})
else()
  find_package(simdjson CONFIG REQUIRED)
endif()
