// The compiled part of the sign_pdfs pipeline in separate compilation mode:
// its run(), plan() and combine() over the Beast transport. Include it in exactly one translation
// unit of a program built with S3CO_SEPARATE_COMPILATION, beside
// s3co/src.hpp (the CMake target s3co::sign_pdfs_compiled does both).
#pragma once

#if !defined(S3CO_SEPARATE_COMPILATION)
#error "s3co/pipelines/src.hpp is for S3CO_SEPARATE_COMPILATION builds only; without it every header is self-contained"
#endif

#include "s3co/http/client.hpp"
#include "s3co/pipelines/sign_pdfs.hpp"
#include "s3co/pipelines/sign_pdfs_jobs.hpp"

template boost::asio::awaitable<s3co::pipelines::sign_pdfs_result> s3co::pipelines::run<s3co::http::client>(
    s3co::s3::client<s3co::http::client>&, s3co::pipelines::sign_pdfs_config, s3co::pipelines::sign_pdfs_options);
template boost::asio::awaitable<s3co::pipelines::shard_plan> s3co::pipelines::plan<s3co::http::client>(
    s3co::s3::client<s3co::http::client>&, s3co::pipelines::sign_pdfs_config, s3co::pipelines::plan_options);
template boost::asio::awaitable<s3co::pipelines::sign_pdfs_result> s3co::pipelines::combine<s3co::http::client>(
    s3co::s3::client<s3co::http::client>&, s3co::pipelines::sign_pdfs_config, s3co::pipelines::combine_options);
