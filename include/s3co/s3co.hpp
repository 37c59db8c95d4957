// Everything s3co offers, in one include.
#pragma once

#include "s3co/aws/amz_time.hpp"
#include "s3co/aws/config_error.hpp"
#include "s3co/aws/credentials.hpp"
#include "s3co/aws/endpoint.hpp"
#include "s3co/aws/environment.hpp"
#include "s3co/aws/header_signer.hpp"
#include "s3co/aws/http_method.hpp"
#include "s3co/aws/presigner.hpp"
#include "s3co/aws/region.hpp"
#include "s3co/aws/sha256.hpp"
#include "s3co/aws/signing_key.hpp"
#include "s3co/aws/uri_encoding.hpp"
