/**
 * The plan file of `rlog-cli partition reassign --plan F`: the JSON shape of
 * Kafka's kafka-reassign-partitions tool,
 *   {"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[2,3,4]}]}
 * (Kafka's optional "log_dirs" per entry is accepted and ignored). A bad
 * file is a usage error naming the entry and field.
 */
import type { ReassignmentMove } from "../../client/index.js";
import { usageError } from "../options.js";

/** The only plan version there is (Kafka's). */
export const PLAN_VERSION = 1;

/**
 * The moves of a plan file's text.
 * @param source the file name, for messages
 * @throws CliError INVALID_ARGUMENT naming the entry and field
 */
export function parseReassignmentPlan(text: string, source: string): ReassignmentMove[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw usageError(`${source}: not JSON (${(err as Error).message})`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw usageError(`${source}: expected an object {"version":1,"partitions":[...]}`);
  const { version, partitions } = doc as { version?: unknown; partitions?: unknown };
  if (version !== PLAN_VERSION) throw usageError(`${source}: "version" must be ${PLAN_VERSION}, got ${JSON.stringify(version)}`);
  if (!Array.isArray(partitions) || partitions.length === 0) throw usageError(`${source}: "partitions" must be a non-empty array of {"topic","partition","replicas"}`);
  const seen = new Set<string>();
  return partitions.map((entry: unknown, i) => {
    const at = `${source}: partitions[${i}]`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) throw usageError(`${at}: expected an object {"topic","partition","replicas"}`);
    const { topic, partition, replicas } = entry as { topic?: unknown; partition?: unknown; replicas?: unknown };
    if (typeof topic !== "string" || topic === "") throw usageError(`${at}.topic: expected a topic name, got ${JSON.stringify(topic)}`);
    if (typeof partition !== "number" || !Number.isSafeInteger(partition) || partition < 0) throw usageError(`${at}.partition: expected an integer >= 0, got ${JSON.stringify(partition)}`);
    if (!Array.isArray(replicas) || replicas.length === 0) throw usageError(`${at}.replicas: expected a non-empty array of broker ids, got ${JSON.stringify(replicas)}`);
    for (const id of replicas as unknown[]) {
      if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 1) throw usageError(`${at}.replicas: ${JSON.stringify(id)} is not a broker id (an integer >= 1)`);
    }
    if (new Set(replicas).size !== replicas.length) throw usageError(`${at}.replicas: names a broker twice (${replicas.join(",")})`);
    const key = `${topic}/${partition}`;
    if (seen.has(key)) throw usageError(`${at}: ${key} is named twice in the plan`);
    seen.add(key);
    return { topic, partition, replicas: replicas as number[] };
  });
}

/**
 * A --replicas value: "2,4,5".
 * @throws CliError INVALID_ARGUMENT
 */
export function parseReplicaList(value: unknown): number[] {
  const text = String(value ?? "").trim();
  const parts = text.split(",").map((s) => s.trim());
  if (text === "" || parts.some((s) => !/^\d+$/.test(s) || Number(s) < 1 || !Number.isSafeInteger(Number(s)))) {
    throw usageError(`--replicas must be broker ids separated by commas, like 2,4,5; got ${JSON.stringify(text)}`);
  }
  const ids = parts.map(Number);
  if (new Set(ids).size !== ids.length) throw usageError(`--replicas names a broker twice (${text})`);
  return ids;
}
