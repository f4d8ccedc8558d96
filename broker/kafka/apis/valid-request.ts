/**
 * Checks a group API answers with a Kafka error of its own before running
 * an rlog op (every op is also checked by rlog's request validator, in
 * kafka-server.ts, so both protocols accept the same values): a group id or
 * commit metadata past limits.stringLengthMax, a fixed protocol limit.
 */
import { DEFAULT_LIMITS } from "../../protocol/limits.js";

/** Whether `group` is not a group id rlog accepts (empty, or longer than stringLengthMax): Kafka's INVALID_GROUP_ID. */
export function invalidGroupId(group: string): boolean {
  return group === "" || group.length > DEFAULT_LIMITS.stringLengthMax;
}

/** Whether commit metadata is longer than rlog keeps (stringLengthMax): Kafka's OFFSET_METADATA_TOO_LARGE. */
export function metadataTooLarge(metadata: string | null): boolean {
  return metadata !== null && metadata.length > DEFAULT_LIMITS.stringLengthMax;
}
