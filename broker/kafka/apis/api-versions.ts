/**
 * ApiVersions (key 18), v0-v3: the APIs and versions this listener answers.
 * A client sends it first and then uses, per API, the highest version both
 * sides know. A version above ours is answered by the listener in v0 form
 * with UNSUPPORTED_VERSION and this same list (connection.ts), so the
 * client retries with one we know, as Kafka specifies.
 */
import { ApiKey } from "../api-keys.js";
import type { KafkaApi } from "../kafka-api.js";
import { KafkaError } from "../kafka-errors.js";
import type { KafkaReader } from "../kafka-reader.js";
import { KafkaWriter } from "../kafka-writer.js";

/** Versions of ApiVersions answered. */
export const API_VERSIONS_MAX = 3;

/** The ApiVersions response body in `version`'s form, listing `apis`. */
export function apiVersionsBody(version: number, errorCode: number, apis: readonly KafkaApi[]): KafkaWriter {
  const w = new KafkaWriter();
  w.int16(errorCode);
  const sorted = [...apis].sort((a, b) => a.key - b.key);
  if (version >= 3) {
    w.compactArray(sorted, (x, a) => x.int16(a.key).int16(a.minVersion).int16(a.maxVersion).emptyTaggedFields());
    w.int32(0); // throttle_time_ms
    w.emptyTaggedFields();
  } else {
    w.array(sorted, (x, a) => x.int16(a.key).int16(a.minVersion).int16(a.maxVersion));
    if (version >= 1) w.int32(0);
  }
  return w;
}

/** The ApiVersions API over the listener's table `apis` (which holds it too). */
export function apiVersionsApi(apis: () => readonly KafkaApi[]): KafkaApi {
  return {
    key: ApiKey.ApiVersions,
    name: "ApiVersions",
    minVersion: 0,
    maxVersion: API_VERSIONS_MAX,
    handle(version: number, body: KafkaReader): KafkaWriter {
      if (version >= 3) {
        body.compactString("client_software_name");
        body.compactString("client_software_version");
        body.skipTaggedFields();
      }
      return apiVersionsBody(version, KafkaError.NONE, apis());
    },
  };
}
