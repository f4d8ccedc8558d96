import { test } from "node:test";
import assert from "node:assert/strict";
import { boundPartitions } from "../../broker/admin/partition-series.js";
import { BrokerMetrics, type PartitionSample } from "../../broker/admin/broker-metrics.js";

const sample = (topic: string, partition: number, isLeader: boolean): PartitionSample => ({
  topic,
  partition,
  group: `${topic}-${partition}`,
  isLeader,
  term: 2,
  highWatermark: 10 * partition,
  logBytes: 100,
  replication: isLeader ? { lastIndex: 20, matchMin: 15 } : undefined,
});

test("the first max partitions in (topic, partition) order are kept, whatever the input order; the rest are counted", () => {
  const all = [sample("b", 1, true), sample("a", 10, true), sample("b", 0, false), sample("a", 2, false)];
  const r = boundPartitions(all, 3);
  assert.deepEqual(r.kept.map((p) => `${p.topic}/${p.partition}`), ["a/2", "a/10", "b/0"]);
  assert.equal(r.dropped, 1);
  assert.deepEqual(boundPartitions(all, 4).dropped, 0);
  assert.deepEqual(boundPartitions(all, 0), { kept: [], dropped: 4 });
});

test("a scrape exports per-partition series for at most partitionSeriesMax partitions and says how many it dropped", async () => {
  const partitions = Array.from({ length: 7 }, (_, i) => sample("t", i, i % 2 === 0));
  const sampled: number[] = [];
  const metrics = new BrokerMetrics({
    brokerId: 1,
    partitionSeriesMax: 5,
    source: {
      partitions: () => partitions,
      sample: (p) => {
        sampled.push(p.partition);
        return partitions.find((x) => x.group === p.group);
      },
      clientConnections: () => 3,
      clientErrorsByCode: () => ({ NOT_LEADER: 4 }),
      kafka: () => ({ connections: 2, requestsByApi: { Produce: 5 } }),
    },
  });
  const text = await metrics.render();
  const leaderSeries = text.split("\n").filter((l) => l.startsWith("rlog_partition_leader{"));
  assert.deepEqual(leaderSeries, [0, 1, 2, 3, 4].map((p) => `rlog_partition_leader{topic="t",partition="${p}"} ${p % 2 === 0 ? 1 : 0}`));
  assert.match(text, /\nrlog_metrics_partitions_dropped 2\n/);
  assert.deepEqual(sampled, [0, 1, 2, 3, 4], "the dropped partitions' state is never read");
  assert.match(text, /\nrlog_partitions_hosted 7\n/);
  assert.match(text, /\nrlog_partition_replica_lag_entries\{topic="t",partition="0"\} 5\n/);
  assert.doesNotMatch(text, /partition="5"/);
  assert.match(text, /\nrlog_client_connections 3\n/);
  assert.match(text, /\nrlog_client_errors_total\{code="NOT_LEADER"\} 4\n/);
  // A partition that leaves the broker leaves the series with it.
  partitions.splice(0, 7, sample("t", 6, true));
  const after = await metrics.render();
  assert.deepEqual(after.split("\n").filter((l) => l.startsWith("rlog_partition_leader{")), ['rlog_partition_leader{topic="t",partition="6"} 1']);
  assert.match(after, /\nrlog_metrics_partitions_dropped 0\n/);
});
