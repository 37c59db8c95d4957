// Cookbook: CloudWatch metrics as one EMF log line. Shown in README.md
// between the markers; tests/integration/cookbook checks the line.
#pragma once

#include <cstdint>

// [cookbook]
#include <s3co/telemetry/emf.hpp>

// {"_aws":{…"Metrics":[{"Name":"Thumbnails","Unit":"Count"},…]},"Function":"thumbnails","Thumbnails":42,…}
void publish_metrics(s3co::telemetry::structured_log& log, std::uint64_t thumbnails, double duration_ms) {
  s3co::telemetry::emf_record metrics("my-service");
  metrics.dimension("Function", "thumbnails")
      .metric("Thumbnails", thumbnails, "Count")
      .metric("DurationMs", duration_ms, "Milliseconds");
  log.write_line(metrics.to_json());
}
// [/cookbook]
