/**
 * `rlog-cli cluster status`: ask every broker for its clusterStatus (the
 * --brokers URLs first, then every broker their answers name), merge the
 * answers (status-merge.ts) and print brokers, controller and partitions.
 * A broker that does not answer within the timeout shows as unreachable;
 * the command fails only when none answers.
 */
import type { ClusterStatusResult } from "../../client/index.js";
import { isInternalTopic } from "../../broker/protocol/topic-name.js";
import { parseBrokers } from "../options.js";
import { noBrokerError, singleBrokerClient } from "../session.js";
import { formatTable } from "../table.js";
import { mergeStatus, type BrokerAnswer, type MergedPartition, type MergedStatus } from "./status-merge.js";

/** Ask one broker, once. */
async function ask(url: string, timeoutMs: number): Promise<BrokerAnswer> {
  const client = singleBrokerClient(url, timeoutMs);
  try {
    const status: ClusterStatusResult = await client.admin().clusterStatus();
    return { url, status };
  } catch (err) {
    const code = (err as { codeName?: unknown }).codeName;
    const message = err instanceof Error ? err.message : String(err);
    return { url, status: undefined, error: typeof code === "string" ? `${code}: ${message}` : message };
  } finally {
    await client.close();
  }
}

/** Every broker's answer: the given URLs, then the brokers they name (two rounds, each in parallel). */
export async function gatherStatus(seedUrls: readonly string[], timeoutMs: number): Promise<BrokerAnswer[]> {
  const first = await Promise.all([...new Set(seedUrls)].map((u) => ask(u, timeoutMs)));
  const asked = new Set(first.map((a) => a.url));
  const named = new Set(first.flatMap((a) => a.status?.brokers.map((b) => b.clientUrl) ?? []));
  const second = await Promise.all([...named].filter((u) => !asked.has(u)).map((u) => ask(u, timeoutMs)));
  return [...first, ...second];
}

/** A merged status with the internal topics' partitions taken out unless asked for. */
export interface ShownStatus extends MergedStatus {
  /** Partitions of internal topics (names starting "__", e.g. __consumer_offsets) left out; 0 with --include-internal. */
  readonly internalPartitionsHidden: number;
}

/** `s` without the partitions of internal topics, unless `includeInternal`; says how many were left out. */
export function shownStatus(s: MergedStatus, includeInternal: boolean): ShownStatus {
  if (includeInternal) return { ...s, internalPartitionsHidden: 0 };
  const partitions = s.partitions.filter((p) => !isInternalTopic(p.topic));
  return { ...s, partitions, internalPartitionsHidden: s.partitions.length - partitions.length };
}

/** Print the cluster status. */
export async function clusterStatus(args: { readonly brokers: string; readonly timeoutMs: number; readonly json: boolean; readonly includeInternal: boolean }): Promise<void> {
  const seeds = parseBrokers(args.brokers);
  const answers = await gatherStatus(seeds, args.timeoutMs);
  if (answers.every((a) => a.status === undefined)) throw noBrokerError(seeds, answers[0]?.error);
  const shown = shownStatus(mergeStatus(answers), args.includeInternal);
  process.stdout.write(args.json ? JSON.stringify(shown) + "\n" : statusText(shown));
}

/** The readable form: brokers, controller, partitions, and how many internal partitions were hidden. */
export function statusText(shown: MergedStatus | ShownStatus): string {
  const hidden = "internalPartitionsHidden" in shown ? shown.internalPartitionsHidden : 0;
  const hiddenLine = hidden === 0 ? "" : `\n${hidden} internal partition${hidden === 1 ? "" : "s"} hidden (topics starting "__"); show them with --include-internal\n`;
  return partitionsText(shown) + hiddenLine;
}

function partitionsText(s: MergedStatus): string {
  const brokerRows = s.brokers.map((b) => [String(b.brokerId), b.clientUrl, b.reachable ? "yes" : `no (${b.error ?? "no answer"})`]);
  let out = formatTable(["BROKER", "URL", "REACHABLE"], brokerRows);
  out += `\ncontroller: ${s.controller.leader === 0 ? "no leader" : `broker ${s.controller.leader}`}, term ${s.controller.term}\n`;
  if (s.controller.voters.length > 0) {
    out += `controller voters: ${s.controller.voters.join(",")}; learners: ${s.controller.learners.length === 0 ? "none" : s.controller.learners.join(",")}\n`;
  }
  if (s.partitions.length === 0) return out + "\nno topics\n";
  const rows = s.partitions.map((p) => [
    p.topic,
    String(p.partition),
    p.leader === 0 ? "none" : String(p.leader),
    String(p.preferredLeader),
    String(p.term),
    String(p.highWatermark),
    String(p.logStartOffset),
    lags(p),
  ]);
  out += "\n" + formatTable(["TOPIC", "PARTITION", "LEADER", "PREFERRED", "TERM", "HIGH-WATERMARK", "LOG-START", "REPLICA-LAGS (broker:entries behind)"], rows);
  const notes: string[] = [];
  if (s.partitions.some((p) => !p.fromLeader)) notes.push("?: no answer from this partition's leader; its row is a follower's view");
  if (s.partitions.some((p) => p.replicas.some((r) => !r.reachable))) notes.push("!: replica not reachable from the leader");
  if (s.partitions.some((p) => p.replicas.some((r) => r.recovering === true))) {
    notes.push("~: replica recovering from a lost disk: it votes and counts toward commits again once caught up");
  }
  if (s.partitions.some((p) => p.replicas.some((r) => r.repairing === true))) {
    notes.push("#: replica repairing a damaged entry: it fetches what it held again and takes no leadership meanwhile");
  }
  return notes.length === 0 ? out : `${out}\n${notes.join("\n")}\n`;
}

function lags(p: MergedPartition): string {
  if (!p.fromLeader) return "?";
  return p.replicas.map((r) => `${r.brokerId}:${r.lagEntries}${r.reachable ? "" : "!"}${r.recovering === true ? "~" : ""}${r.repairing === true ? "#" : ""}`).join(" ");
}
