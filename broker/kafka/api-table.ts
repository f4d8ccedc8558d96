/**
 * Every Kafka API the listener answers (one entry per key). ApiVersions
 * reports exactly this table.
 */
import { apiVersionsApi } from "./apis/api-versions.js";
import { metadataApi } from "./apis/metadata.js";
import { describeGroupsApi } from "./apis/describe-groups.js";
import { fetchApi } from "./apis/fetch.js";
import { findCoordinatorApi } from "./apis/find-coordinator.js";
import { heartbeatApi } from "./apis/heartbeat.js";
import { joinGroupApi } from "./apis/join-group.js";
import { leaveGroupApi } from "./apis/leave-group.js";
import { listGroupsApi } from "./apis/list-groups.js";
import { listOffsetsApi } from "./apis/list-offsets.js";
import { offsetCommitApi } from "./apis/offset-commit.js";
import { offsetFetchApi } from "./apis/offset-fetch.js";
import { syncGroupApi } from "./apis/sync-group.js";
import type { KafkaApi } from "./kafka-api.js";

/** The APIs, ApiVersions included. */
export function kafkaApis(): readonly KafkaApi[] {
  const apis: KafkaApi[] = [];
  apis.push(apiVersionsApi(() => apis));
  apis.push(metadataApi);
  apis.push(fetchApi);
  apis.push(listOffsetsApi);
  apis.push(findCoordinatorApi);
  apis.push(joinGroupApi);
  apis.push(syncGroupApi);
  apis.push(heartbeatApi);
  apis.push(leaveGroupApi);
  apis.push(offsetCommitApi);
  apis.push(offsetFetchApi);
  apis.push(describeGroupsApi);
  apis.push(listGroupsApi);
  return apis;
}
