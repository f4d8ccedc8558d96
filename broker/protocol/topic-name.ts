/**
 * Topic name rules, shared by broker, client and CLI (Kafka's rules, with a
 * shorter default length): 1 .. topicNameLengthMax characters from
 * [A-Za-z0-9._-], not "." or "..". Names starting with "__" are reserved for
 * internal topics (e.g. "__consumer_offsets"): clients may read them but not
 * create, delete or produce to them.
 */
import { RlogError } from "./errors.js";

/** Prefix reserved for internal topics. */
export const INTERNAL_TOPIC_PREFIX = "__";

const legal = /^[A-Za-z0-9._-]+$/;

/** Whether a topic name is reserved for broker-internal topics. */
export function isInternalTopic(name: string): boolean {
  return name.startsWith(INTERNAL_TOPIC_PREFIX);
}

/**
 * What is wrong with a topic name, or undefined when it is valid.
 * @param lengthMax topicNameLengthMax in force
 * @param allowInternal accept names starting with "__" (reads, metadata)
 */
export function topicNameProblem(name: string, lengthMax: number, allowInternal: boolean): string | undefined {
  if (name.length === 0) return "must not be empty";
  if (name.length > lengthMax) return `longer than ${lengthMax} characters (${name.length})`;
  if (!legal.test(name)) return "may only contain A-Z, a-z, 0-9, '.', '_' and '-'";
  if (name === "." || name === "..") return `"${name}" is not a valid topic name`;
  if (!allowInternal && isInternalTopic(name)) return `names starting with "${INTERNAL_TOPIC_PREFIX}" are reserved for internal topics`;
  return undefined;
}

/** Throw INVALID_TOPIC naming `field` unless `name` is valid (see topicNameProblem). */
export function checkTopicName(name: string, field: string, lengthMax: number, allowInternal: boolean): string {
  const problem = topicNameProblem(name, lengthMax, allowInternal);
  if (problem !== undefined) throw new RlogError("INVALID_TOPIC", `${field}: ${problem}`, { field });
  return name;
}
