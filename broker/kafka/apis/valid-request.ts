/**
 * A Kafka API builds rlog requests from Kafka's fields; before running one
 * it checks it with rlog's own request validator (validate-request.ts), the
 * one the WebSocket listener applies to every frame, so both protocols
 * accept the same values (group id lengths, session timeout bounds, offsets
 * >= 0). Checked against the default client limits (LIMIT_DEFAULTS): the
 * Kafka listener does not see a broker's `limits.*` overrides.
 */
import { FieldReader } from "../../protocol/field-reader.js";
import { DEFAULT_LIMITS } from "../../protocol/limits.js";
import { validateRequestBody } from "../../protocol/validate-request.js";
import type { HandlerRequest } from "../kafka-api.js";

/** `request`, checked: throws RlogError INVALID_REQUEST (naming the field) when a value is out of bounds. */
export function validRequest<R extends HandlerRequest>(request: R): R {
  return validateRequestBody(request.op, FieldReader.of(request, ""), DEFAULT_LIMITS) as R;
}

/** Whether `group` is not a group id rlog accepts (empty, or longer than stringLengthMax): Kafka's INVALID_GROUP_ID. */
export function invalidGroupId(group: string): boolean {
  return group === "" || group.length > DEFAULT_LIMITS.stringLengthMax;
}

/** Whether commit metadata is longer than rlog keeps (stringLengthMax): Kafka's OFFSET_METADATA_TOO_LARGE. */
export function metadataTooLarge(metadata: string | null): boolean {
  return metadata !== null && metadata.length > DEFAULT_LIMITS.stringLengthMax;
}
