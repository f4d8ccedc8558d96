/**
 * What `rlog-cli topic create|alter|list|describe|delete` do once their arguments
 * are parsed: one admin call each, printed as a table (or JSON).
 */
import type { TopicConfig, TopicDescription } from "../../client/index.js";
import { formatTable } from "../table.js";
import { explain, openClient } from "../session.js";

/** Parsed arguments of `topic create`. */
export interface CreateTopicArgs {
  readonly brokers: string;
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config: Partial<TopicConfig>;
  readonly json: boolean;
}

/** Create a topic and print its placement. */
export async function createTopic(args: CreateTopicArgs): Promise<void> {
  const { client, brokers } = await openClient(args.brokers);
  try {
    const topic = await client.admin().createTopic({
      name: args.name,
      partitions: args.partitions,
      replicationFactor: args.replicationFactor,
      ...(Object.keys(args.config).length === 0 ? {} : { config: args.config }),
    });
    if (args.json) {
      process.stdout.write(JSON.stringify(topic) + "\n");
    } else {
      process.stdout.write(`created topic ${topic.name}: ${topic.partitions.length} partitions, replication factor ${topic.replicationFactor}\n`);
      const rows = topic.partitions.map((p) => [String(p.partition), p.replicas.join(",")]);
      process.stdout.write(formatTable(["PARTITION", "REPLICAS (preferred leader first)"], rows));
    }
  } catch (err) {
    throw explain(err, { brokers, topic: args.name });
  } finally {
    await client.close();
  }
}

/** Parsed arguments of `topic alter`. */
export interface AlterTopicArgs {
  readonly brokers: string;
  readonly name: string;
  readonly partitions?: number;
  readonly config: Partial<TopicConfig>;
  readonly json: boolean;
}

/** Alter a topic and print it as altered (as describe does). */
export async function alterTopic(args: AlterTopicArgs): Promise<void> {
  const { client, brokers } = await openClient(args.brokers);
  try {
    const topic = await client.admin().alterTopic(args.name, {
      ...(args.partitions === undefined ? {} : { partitions: args.partitions }),
      ...(Object.keys(args.config).length === 0 ? {} : { config: args.config }),
    });
    process.stdout.write(args.json ? JSON.stringify(topic) + "\n" : `altered topic ${topic.name}\n` + describeText(topic));
  } catch (err) {
    throw explain(err, { brokers, topic: args.name });
  } finally {
    await client.close();
  }
}

/** Print the topics (internal ones too with `internal`). */
export async function listTopics(args: { readonly brokers: string; readonly internal: boolean; readonly json: boolean }): Promise<void> {
  const { client, brokers } = await openClient(args.brokers);
  try {
    const topics = await client.admin().listTopics({ includeInternal: args.internal });
    if (args.json) {
      process.stdout.write(JSON.stringify(topics) + "\n");
    } else if (topics.length === 0) {
      process.stderr.write("no topics; create one with: rlog-cli topic create NAME --partitions 3 --replication-factor 3\n");
    } else {
      const rows = topics.map((t) => [t.name, String(t.partitions), String(t.replicationFactor), ...(args.internal ? [t.internal ? "yes" : "no"] : [])]);
      process.stdout.write(formatTable(["TOPIC", "PARTITIONS", "REPLICATION-FACTOR", ...(args.internal ? ["INTERNAL"] : [])], rows));
    }
  } catch (err) {
    throw explain(err, { brokers });
  } finally {
    await client.close();
  }
}

/** Print a topic's settings and, per partition, leader, replicas and term. */
export async function describeTopic(args: { readonly brokers: string; readonly name: string; readonly json: boolean }): Promise<void> {
  const { client, brokers } = await openClient(args.brokers);
  try {
    const topic = await client.admin().describeTopic(args.name);
    process.stdout.write(args.json ? JSON.stringify(topic) + "\n" : describeText(topic));
  } catch (err) {
    throw explain(err, { brokers, topic: args.name });
  } finally {
    await client.close();
  }
}

/** Delete a topic. */
export async function deleteTopic(args: { readonly brokers: string; readonly name: string; readonly json: boolean }): Promise<void> {
  const { client, brokers } = await openClient(args.brokers);
  try {
    await client.admin().deleteTopic(args.name);
    process.stdout.write(args.json ? JSON.stringify({ deleted: args.name }) + "\n" : `deleted topic ${args.name}\n`);
  } catch (err) {
    throw explain(err, { brokers, topic: args.name });
  } finally {
    await client.close();
  }
}

/** The text form of describe: a summary line, a settings line, then the partition table. Leader 0 prints as "none". */
export function describeText(topic: TopicDescription): string {
  const c = topic.config;
  const header = `topic ${topic.name}: ${topic.partitions.length} partitions, replication factor ${topic.replicationFactor}${topic.internal ? ", internal" : ""}\n`;
  const settings = `settings: retentionMs=${c.retentionMs} retentionBytes=${c.retentionBytes} segmentBytes=${c.segmentBytes} segmentMs=${c.segmentMs} compression=${c.compression}\n`;
  const rows = topic.partitions.map((p) => [String(p.partition), p.leader === 0 ? "none" : String(p.leader), p.replicas.join(","), String(p.term)]);
  return header + settings + formatTable(["PARTITION", "LEADER", "REPLICAS", "TERM"], rows);
}
