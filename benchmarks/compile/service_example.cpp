// A service made of README.md's cookbook snippets that use the S3 client
// (examples/cookbook/: a client from the environment, listing, a presigned
// GET, an upload stream, a download): benchmarks/compile_cost.sh measures
// what compiling it costs, header-only and in separate compilation mode.
#include "cookbook/client_from_environment.hpp"
#include "cookbook/download_file.hpp"
#include "cookbook/list_objects.hpp"
#include "cookbook/presign_get.hpp"
#include "cookbook/upload_stream.hpp"
