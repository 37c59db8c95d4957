// The compiled part of s3co in separate compilation mode: include this file
// in exactly one translation unit of a program whose every translation unit
// defines S3CO_SEPARATE_COMPILATION (the CMake target s3co::s3co_compiled
// does both), as with Boost.Beast's <boost/beast/src.hpp>.
#pragma once

#if !defined(S3CO_SEPARATE_COMPILATION)
#error "s3co/src.hpp is for S3CO_SEPARATE_COMPILATION builds only; without it every header is self-contained"
#endif

#include "s3co/http/impl/client.ipp"
#include "s3co/s3/client.hpp"
#include "s3co/s3/list_objects.hpp"
#include "s3co/s3/multipart_upload.hpp"
#include "s3co/s3/parallel_lister.hpp"

template class s3co::s3::client<s3co::http::client>;
template class s3co::s3::list_paginator<s3co::http::client>;
template class s3co::s3::object_lister<s3co::http::client>;
template class s3co::s3::multipart_upload_stream<s3co::http::client>;
template class s3co::s3::parallel_lister<s3co::http::client>;
