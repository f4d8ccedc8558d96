/**
 * What `rlog-cli group list|describe|reset-offsets` do once their arguments
 * are parsed. `describe` fills in the high watermark (and so the lag) of
 * partitions whose coordinator holds no replica of them, by asking the
 * partitions' leaders (listOffsets latest).
 */
import { ErrorCode, GroupState, RlogError, type DescribeGroupResult, type GroupSummary, type OffsetQuery, type RlogClient } from "../../client/index.js";
import { CliError, EXIT_FAILURE } from "../errors.js";
import { explain, openClient } from "../session.js";
import { formatTable } from "../table.js";

/** Names of GroupState values, for output. */
const STATE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(GroupState).map(([name, code]) => [code, name]));

/** A GroupState as text ("Stable"); unknown values as their number. */
export function stateName(state: number): string {
  return STATE_NAMES[state] ?? String(state);
}

/** One row of describe's partition table. */
export interface GroupPartitionRow {
  readonly topic: string;
  readonly partition: number;
  /** undefined for an assigned partition without a committed offset. */
  readonly committed: number | undefined;
  readonly highWatermark: number | undefined;
  readonly lag: number | undefined;
  /** Member id of the owner, undefined when no member owns it. */
  readonly owner: string | undefined;
}

/** describe's partitions: every committed or assigned partition, by topic and partition. */
export function groupPartitionRows(d: DescribeGroupResult, latest: ReadonlyMap<string, number>): GroupPartitionRow[] {
  const key = (t: string, p: number): string => `${t}\u0000${p}`;
  const owners = new Map<string, string>();
  for (const m of d.members) for (const a of m.assignment) for (const p of a.partitions) owners.set(key(a.topic, p), m.memberId);
  const rows = new Map<string, GroupPartitionRow>();
  const add = (topic: string, partition: number, committed: number | undefined, hw: number | undefined): void => {
    const k = key(topic, partition);
    const highWatermark = hw ?? latest.get(k);
    const lag = committed !== undefined && highWatermark !== undefined ? Math.max(0, highWatermark - committed) : undefined;
    rows.set(k, { topic, partition, committed, highWatermark, lag, owner: owners.get(k) });
  };
  for (const o of d.offsets) add(o.topic, o.partition, o.offset, o.highWatermark);
  for (const [k] of owners) {
    if (rows.has(k)) continue;
    const at = k.lastIndexOf("\u0000");
    add(k.slice(0, at), Number(k.slice(at + 1)), undefined, undefined);
  }
  return [...rows.values()].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}

/** The text form of describe. */
export function describeText(d: DescribeGroupResult, rows: readonly GroupPartitionRow[]): string {
  let out = `group ${d.group}: ${stateName(d.state)}, generation ${d.generation}, ${d.members.length} member${d.members.length === 1 ? "" : "s"}\n`;
  if (d.members.length > 0) {
    const memberRows = d.members.map((m) => [m.memberId, m.clientId, m.assignment.map((a) => `${a.topic}:${a.partitions.join(",")}`).join(" ") || "-"]);
    out += "\n" + formatTable(["MEMBER", "CLIENT", "PARTITIONS"], memberRows);
  }
  if (rows.length === 0) return out + "\nno committed offsets\n";
  const dash = (n: number | undefined): string => (n === undefined ? "-" : String(n));
  const table = rows.map((r) => [r.topic, String(r.partition), dash(r.committed), dash(r.highWatermark), dash(r.lag), r.owner ?? "-"]);
  const total = rows.reduce((n, r) => n + (r.lag ?? 0), 0);
  return out + "\n" + formatTable(["TOPIC", "PARTITION", "COMMITTED", "HIGH-WATERMARK", "LAG", "OWNER"], table) + `\ntotal lag: ${total}\n`;
}

/** Print every group. */
export async function listGroups(args: { readonly brokers: string; readonly json: boolean }): Promise<void> {
  const { client, brokers } = await openClient(args.brokers);
  try {
    const groups: GroupSummary[] = await client.admin().listGroups();
    if (args.json) process.stdout.write(JSON.stringify(groups.map((g) => ({ ...g, stateName: stateName(g.state) }))) + "\n");
    else if (groups.length === 0) process.stderr.write("no consumer groups; one appears when a consumer joins: rlog-cli consume TOPIC --group NAME\n");
    else process.stdout.write(formatTable(["GROUP", "STATE", "MEMBERS"], groups.map((g) => [g.group, stateName(g.state), String(g.memberCount)])));
  } catch (err) {
    throw explain(err, { brokers });
  } finally {
    await client.close();
  }
}

/** Print a group's state, members and lag table. */
export async function describeGroup(args: { readonly brokers: string; readonly group: string; readonly json: boolean }): Promise<void> {
  const { client, brokers } = await openClient(args.brokers);
  try {
    const d = await client.admin().describeGroup(args.group);
    const rows = groupPartitionRows(d, await latestOffsets(client, d));
    if (args.json) process.stdout.write(JSON.stringify({ ...d, stateName: stateName(d.state), partitions: rows }) + "\n");
    else process.stdout.write(describeText(d, rows));
  } catch (err) {
    throw groupError(err, args.group, brokers);
  } finally {
    await client.close();
  }
}

/** Parsed arguments of reset-offsets. */
export interface ResetOffsetsArgs {
  readonly brokers: string;
  readonly group: string;
  readonly topic: string;
  readonly partitions: readonly number[] | undefined;
  readonly to: OffsetQuery | { readonly offset: number };
  readonly json: boolean;
}

/** Set a group's offsets for a topic and print them. */
export async function resetOffsets(args: ResetOffsetsArgs): Promise<void> {
  const { client, brokers } = await openClient(args.brokers);
  try {
    const offsets = await client.admin().resetOffsets({
      group: args.group,
      topic: args.topic,
      to: args.to,
      ...(args.partitions === undefined ? {} : { partitions: args.partitions }),
    });
    if (args.json) process.stdout.write(JSON.stringify(offsets) + "\n");
    else {
      process.stdout.write(`group ${args.group}: offsets of ${args.topic} set\n`);
      process.stdout.write(formatTable(["TOPIC", "PARTITION", "NEW-OFFSET"], offsets.map((o) => [o.topic, String(o.partition), String(o.offset)])));
    }
  } catch (err) {
    throw groupError(err, args.group, brokers, args.topic);
  } finally {
    await client.close();
  }
}

/** High watermarks the coordinator did not report, from the partitions' leaders. */
async function latestOffsets(client: RlogClient, d: DescribeGroupResult): Promise<Map<string, number>> {
  const wanted = new Set<string>();
  for (const o of d.offsets) if (o.highWatermark === undefined) wanted.add(`${o.topic}\u0000${o.partition}`);
  for (const m of d.members) for (const a of m.assignment) for (const p of a.partitions) wanted.add(`${a.topic}\u0000${p}`);
  const admin = client.admin();
  const out = new Map<string, number>();
  await Promise.all(
    [...wanted].map(async (k) => {
      const at = k.lastIndexOf("\u0000");
      try {
        out.set(k, (await admin.listOffsets({ topic: k.slice(0, at), partition: Number(k.slice(at + 1)) }, "latest")).offset);
      } catch {
        // a deleted topic or an unreachable leader: shown as "-"
      }
    }),
  );
  return out;
}

/** Group errors with what to do next. */
function groupError(err: unknown, group: string, brokers: readonly string[], topic?: string): unknown {
  if (err instanceof RlogError) {
    if (err.code === ErrorCode.UNKNOWN_GROUP) return new CliError(err.codeName, `group "${group}" does not exist; list groups with: rlog-cli group list`, EXIT_FAILURE);
    if (err.code === ErrorCode.GROUP_NOT_EMPTY) {
      return new CliError(err.codeName, `group "${group}" has running members; stop its consumers first (see: rlog-cli group describe ${group})`, EXIT_FAILURE);
    }
  }
  return explain(err, topic === undefined ? { brokers } : { brokers, topic });
}
