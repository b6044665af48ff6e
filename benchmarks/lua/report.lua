-- Prints wrk's summary as one JSON line, which benchmarks/http_load.py reads.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('JSON {"requests": %d, "duration_us": %d, "non2xx": %d, ' ..
    '"errors": %d, "p50": %d, "p95": %d}\n', summary.requests, summary.duration,
    e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95)))
end
