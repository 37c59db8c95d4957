// Header-only (the default) or separate compilation.
//
// By default every s3co function is defined in its header. Defining
// S3CO_SEPARATE_COMPILATION in every translation unit, and compiling
// "s3co/src.hpp" in exactly one of them (or linking the CMake target
// s3co::s3co_compiled, which does both), compiles the heavy parts once: the
// Beast HTTP client, and the S3 client, lister, paginator and upload stream
// over it. The headers then declare what src.hpp defines. The sign_pdfs
// pipeline's run() over the same transport has its own source,
// "s3co/pipelines/src.hpp" (s3co::sign_pdfs_compiled).
#pragma once

#if defined(S3CO_SEPARATE_COMPILATION)
#define S3CO_DECL
#else
#define S3CO_DECL inline
#endif
