// Presign cost: ns per URL with and without a session token, the signing-key
// derivation, and the SHA-256/HMAC variants the library could have used
// (one-shot OpenSSL 3 calls, reused EVP contexts, cached low-level states),
// so the choice in aws/sha256.hpp stays measured.
//
// Keys: one per line from the file named by S3CO_BENCH_KEYS (scripts/bench
// passes the same file to the botocore and JavaScript peers), else 10,000
// generated keys of the same shape.
#include <benchmark/benchmark.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "s3co/aws/presigner.hpp"

namespace {

using namespace s3co::aws;

const std::vector<std::string>& bench_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> loaded;
    if (const char* path = std::getenv("S3CO_BENCH_KEYS")) {
      std::ifstream file(path);
      for (std::string line; std::getline(file, line);) {
        if (!line.empty()) loaded.push_back(line);
      }
    }
    for (int i = 0; loaded.empty() && i < 10000; ++i) {
      // Every tenth key needs percent-encoding, as in benchmarks/peers/keys.py.
      std::string key = "2026/" + std::to_string(1 + i % 12) + (i % 10 == 9 ? "/Quarterly Report é " : "/report-");
      loaded.push_back(key + std::to_string(100000 + i) + ".pdf");
    }
    return loaded;
  }();
  return keys;
}

const credentials bench_credentials{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "", std::nullopt};
const utc_time_point bench_time = std::chrono::sys_days{std::chrono::year{2026} / 4 / 1};

void presign_urls(benchmark::State& state, presigner signer) {
  const auto& keys = bench_keys();
  std::string url;
  std::size_t i = 0;
  for (auto _ : state) {
    url.clear();
    signer.append_presigned(url, {"bench", keys[i], std::chrono::seconds(3600), bench_time});
    benchmark::DoNotOptimize(url.data());
    if (++i == keys.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["derivations"] = static_cast<double>(signer.key_cache().derivations());
}

presigner bench_presigner(const credentials& creds) {
  return presigner(creds, "us-east-1", parse_endpoint_url("http://127.0.0.1:7480"));
}

void BM_presign(benchmark::State& state) { presign_urls(state, bench_presigner(bench_credentials)); }
BENCHMARK(BM_presign);

void BM_presign_with_session_token(benchmark::State& state) {
  credentials temporary = bench_credentials;
  temporary.session_token = std::string(400, 'T') + "+/=";  // STS tokens run to several hundred bytes
  presign_urls(state, bench_presigner(temporary));
}
BENCHMARK(BM_presign_with_session_token);

void BM_presign_live_credentials(benchmark::State& state) {
  // Credentials that a refresh may replace: one atomic load more per URL.
  auto live = std::make_shared<live_credentials>(bench_credentials, "bench");
  presign_urls(state, presigner(live, "us-east-1", parse_endpoint_url("http://127.0.0.1:7480")));
}
BENCHMARK(BM_presign_live_credentials);

void BM_presign_new_string(benchmark::State& state) {
  // The convenience form: one allocation per URL for the returned string.
  presigner signer(bench_credentials, "us-east-1", parse_endpoint_url("http://127.0.0.1:7480"));
  const auto& keys = bench_keys();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(signer.presign({"bench", keys[i], std::chrono::seconds(3600), bench_time}));
    if (++i == keys.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_presign_new_string);

void BM_signing_key_derivation(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(derive_signing_key(bench_credentials.secret_access_key, "20260401", "us-east-1", "s3"));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_signing_key_derivation);

// --- HMAC-SHA-256 over a string-to-sign-sized message, four ways -----------

const std::string string_to_sign =
    "AWS4-HMAC-SHA256\n20260401T000000Z\n20260401/us-east-1/s3/aws4_request\n"
    "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04";
const sha256_digest signing_key = derive_signing_key("secret", "20260401", "us-east-1", "s3");

void BM_hmac_cached_pad_states(benchmark::State& state) {  // what s3co uses
  const hmac_sha256_key key(signing_key);
  for (auto _ : state) benchmark::DoNotOptimize(key.sign(string_to_sign));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_hmac_cached_pad_states);

void BM_hmac_openssl_one_shot(benchmark::State& state) {
  unsigned char out[32];
  unsigned int length = 0;
  for (auto _ : state) {
    HMAC(EVP_sha256(), signing_key.data(), static_cast<int>(signing_key.size()),
         reinterpret_cast<const unsigned char*>(string_to_sign.data()), string_to_sign.size(), out, &length);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_hmac_openssl_one_shot);

void BM_hmac_evp_mac_reused(benchmark::State& state) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* context = EVP_MAC_CTX_new(mac);
  char digest_name[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest_name, 0), OSSL_PARAM_construct_end()};
  EVP_MAC_init(context, signing_key.data(), signing_key.size(), params);
  unsigned char out[32];
  std::size_t length = 0;
  for (auto _ : state) {
    EVP_MAC_init(context, nullptr, 0, nullptr);  // same key: restart from the keyed state
    EVP_MAC_update(context, reinterpret_cast<const unsigned char*>(string_to_sign.data()), string_to_sign.size());
    EVP_MAC_final(context, out, &length, sizeof out);
    benchmark::DoNotOptimize(out);
  }
  EVP_MAC_CTX_free(context);
  EVP_MAC_free(mac);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_hmac_evp_mac_reused);

// --- SHA-256 of a canonical-request-sized message ---------------------------

const std::string canonical_request(300, 'c');

void BM_sha256_low_level(benchmark::State& state) {  // what s3co uses
  for (auto _ : state) benchmark::DoNotOptimize(sha256_of(canonical_request));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_sha256_low_level);

void BM_sha256_evp_one_shot(benchmark::State& state) {
  unsigned char out[32];
  unsigned int length = 0;
  for (auto _ : state) {
    EVP_Digest(canonical_request.data(), canonical_request.size(), out, &length, EVP_sha256(), nullptr);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_sha256_evp_one_shot);

void BM_sha256_evp_reused_context(benchmark::State& state) {
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  unsigned char out[32];
  unsigned int length = 0;
  for (auto _ : state) {
    EVP_DigestInit_ex2(context, md, nullptr);
    EVP_DigestUpdate(context, canonical_request.data(), canonical_request.size());
    EVP_DigestFinal_ex(context, out, &length);
    benchmark::DoNotOptimize(out);
  }
  EVP_MD_CTX_free(context);
  EVP_MD_free(md);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_sha256_evp_reused_context);

}  // namespace

BENCHMARK_MAIN();
