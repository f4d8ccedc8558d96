/**
 * Every Kafka API the listener answers (one entry per key). ApiVersions
 * reports exactly this table.
 */
import { apiVersionsApi } from "./apis/api-versions.js";
import { initProducerIdApi } from "./apis/init-producer-id.js";
import { metadataApi } from "./apis/metadata.js";
import { createTopicsApi } from "./apis/create-topics.js";
import { deleteTopicsApi } from "./apis/delete-topics.js";
import { describeConfigsApi } from "./apis/describe-configs.js";
import { saslHandshakeApi } from "./apis/sasl-handshake.js";
import { saslAuthenticateApi } from "./apis/sasl-authenticate.js";
import { produceApi } from "./apis/produce.js";
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
  apis.push(createTopicsApi);
  apis.push(deleteTopicsApi);
  apis.push(describeConfigsApi);
  apis.push(saslHandshakeApi);
  apis.push(saslAuthenticateApi);
  apis.push(produceApi);
  apis.push(initProducerIdApi);
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
