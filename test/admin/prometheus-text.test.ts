import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePrometheusText, sampleValue } from "./prometheus-text.js";

const valid = [
  "# HELP up_total Things.",
  "# TYPE up_total counter",
  'up_total{code="A",x="a \\"q\\""} 3',
  "# HELP lat_seconds Latency.",
  "# TYPE lat_seconds histogram",
  'lat_seconds_bucket{le="0.1"} 1',
  'lat_seconds_bucket{le="1"} 2',
  'lat_seconds_bucket{le="+Inf"} 2',
  "lat_seconds_sum 0.6",
  "lat_seconds_count 2",
  "",
].join("\n");

test("a valid exposition parses into families with typed samples", () => {
  const f = parsePrometheusText(valid);
  assert.equal(f.get("up_total")?.type, "counter");
  assert.equal(f.get("up_total")?.help, "Things.");
  assert.equal(sampleValue(f, "up_total", { code: "A", x: 'a "q"' }), 3);
  assert.equal(sampleValue(f, "lat_seconds_count"), 2);
  assert.equal(f.get("lat_seconds")?.samples.length, 5);
});

test("special values are read as Prometheus reads them, case ignored (prom-client writes Nan for a gauge without a sample yet)", () => {
  const f = parsePrometheusText("# TYPE g gauge\ng{a=\"1\"} Nan\ng{a=\"2\"} NaN\ng{a=\"3\"} +Inf\ng{a=\"4\"} -inf\n");
  assert.ok(Number.isNaN(sampleValue(f, "g", { a: "1" })));
  assert.ok(Number.isNaN(sampleValue(f, "g", { a: "2" })));
  assert.equal(sampleValue(f, "g", { a: "3" }), Infinity);
  assert.equal(sampleValue(f, "g", { a: "4" }), -Infinity);
});

test("malformed lines and inconsistent histograms are refused, naming the problem", () => {
  const bad: [string, RegExp][] = [
    ["x 1\n", /before its TYPE/],
    ["# TYPE x counter\nx{a=1} 1\n", /bad labels/],
    ["# TYPE x counter\nx one\n", /bad value/],
    ["# TYPE x counter\nx 1", /end with a newline/],
    ["# TYPE x nonsense\n", /bad TYPE/],
    [valid.replace('lat_seconds_bucket{le="+Inf"} 2', 'lat_seconds_bucket{le="+Inf"} 3'), /differs from _count/],
    [valid.replace('lat_seconds_bucket{le="1"} 2', 'lat_seconds_bucket{le="1"} 0'), /counts decrease/],
    [valid.replace("lat_seconds_sum 0.6\n", ""), /no _sum/],
  ];
  for (const [text, why] of bad) assert.throws(() => parsePrometheusText(text), why, text);
});
