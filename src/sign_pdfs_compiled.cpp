// The one translation unit of s3co::sign_pdfs_compiled (separate compilation).
#include "s3co/pipelines/src.hpp"
