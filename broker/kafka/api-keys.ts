/**
 * Kafka API keys (Kafka's protocol guide, "Api Keys"): the ones rlog's
 * Kafka listener answers. Any other key gets UNSUPPORTED_VERSION.
 */
export const ApiKey = Object.freeze({
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  SaslHandshake: 17,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  InitProducerId: 22,
  DescribeConfigs: 32,
  SaslAuthenticate: 36,
});

/** APIs a connection may use before it has logged in (when the listener requires SASL). */
export const PRE_AUTH_API_KEYS: ReadonlySet<number> = new Set([ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);

/**
 * Whether a request uses the flexible (compact, tagged-field) encoding and
 * request header v2. rlog answers flexible versions of ApiVersions only
 * (v3+): every other API is answered in its versions before flexible ones,
 * which every Kafka client negotiates down to through ApiVersions.
 */
export function isFlexible(apiKey: number, version: number): boolean {
  return apiKey === ApiKey.ApiVersions && version >= 3;
}
