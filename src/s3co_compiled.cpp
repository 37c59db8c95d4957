// The one translation unit of s3co::s3co_compiled (separate compilation).
#include "s3co/src.hpp"
