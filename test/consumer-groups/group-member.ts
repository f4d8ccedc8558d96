/**
 * A group consumer in its own process, for multi-process group tests. It
 * joins a group, handles records one at a time, commits every
 * COMMIT_INTERVAL_MS (periodic auto-commit off, so every commit it reports
 * is one it made), and reports on stdout, one JSON object per line:
 *
 *   {"ev":"assigned","gen":3,"member":"...","partitions":[0,1]}
 *   {"ev":"record","gen":3,"p":0,"o":17}          (written inside the handler)
 *   {"ev":"committed","gen":3,"offsets":{"0":18}}  (after the commit was acknowledged)
 *   {"ev":"revoked","gen":3,"partitions":[0,1]}
 *
 * Stdout is a pipe: writes are synchronous on Linux, so a SIGKILL loses
 * nothing that was reported. Usage:
 *   node group-member.js <brokers,comma-separated> <group> <topic> <sessionTimeoutMs>
 */
import { RlogClient } from "../../client/index.js";

const COMMIT_INTERVAL_MS = 300;

const [brokers, group, topic, session] = process.argv.slice(2);
if (brokers === undefined || group === undefined || topic === undefined || session === undefined) {
  process.stderr.write("usage: group-member <brokers> <group> <topic> <sessionTimeoutMs>\n");
  process.exit(2);
}
const say = (o: object): void => {
  process.stdout.write(JSON.stringify(o) + "\n");
};

const client = new RlogClient({ brokers: brokers.split(","), clientId: "group-member" });
const sessionTimeoutMs = Number(session);
const consumer = client.consumer({
  groupId: group,
  sessionTimeoutMs,
  heartbeatIntervalMs: Math.floor(sessionTimeoutMs / 6),
  rebalanceTimeoutMs: sessionTimeoutMs * 2,
  autoCommitIntervalMs: 0,
  maxWaitMs: 200,
});
consumer.subscribe({
  topics: [topic],
  fromBeginning: true,
  onAssigned: (tps) => say({ ev: "assigned", gen: consumer.generation, member: consumer.memberId, partitions: tps.map((t) => t.partition) }),
  onRevoked: (tps) => say({ ev: "revoked", gen: consumer.generation, partitions: tps.map((t) => t.partition) }),
});

const committer = setInterval(() => {
  if (!consumer.isStable) return;
  consumer.commit().then(
    () => {
      // Read after the acknowledgement: every value here is committed (a later commit may only have moved it on).
      const offsets: Record<string, number> = {};
      for (const p of consumer.positions()) if (p.committed !== undefined) offsets[p.partition] = p.committed;
      say({ ev: "committed", gen: consumer.generation, offsets });
    },
    () => undefined, // a commit refused after a rebalance: those records are someone else's now
  );
}, COMMIT_INTERVAL_MS);

process.on("SIGTERM", () => void consumer.stop());
await consumer.run({
  eachRecord: (r) => {
    say({ ev: "record", gen: consumer.generation, p: r.partition, o: r.offset });
  },
});
clearInterval(committer);
await client.close();
