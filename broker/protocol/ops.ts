/**
 * The operation table: each op name with its request and result type, typed
 * once for broker, client and CLI. Op names are wire values: never rename
 * one; add new ops freely (an old broker answers UNKNOWN_OPERATION).
 */
import type * as Q from "./requests.js";
import type * as R from "./results.js";

/** Request and result type of every operation, by op name. */
export interface Operations {
  handshake: { request: Q.HandshakeRequest; result: R.HandshakeResult };
  metadata: { request: Q.MetadataRequest; result: R.MetadataResult };
  createTopic: { request: Q.CreateTopicRequest; result: R.CreateTopicResult };
  deleteTopic: { request: Q.DeleteTopicRequest; result: R.DeleteTopicResult };
  describeTopic: { request: Q.DescribeTopicRequest; result: R.DescribeTopicResult };
  listTopics: { request: Q.ListTopicsRequest; result: R.ListTopicsResult };
  produce: { request: Q.ProduceRequest; result: R.ProduceResult };
  fetch: { request: Q.FetchRequest; result: R.FetchResult };
  listOffsets: { request: Q.ListOffsetsRequest; result: R.ListOffsetsResult };
  initProducerId: { request: Q.InitProducerIdRequest; result: R.InitProducerIdResult };
  transferLeader: { request: Q.TransferLeaderRequest; result: R.TransferLeaderResult };
  rebalanceLeaders: { request: Q.RebalanceLeadersRequest; result: R.RebalanceLeadersResult };
  clusterStatus: { request: Q.ClusterStatusRequest; result: R.ClusterStatusResult };
  registerBroker: { request: Q.RegisterBrokerRequest; result: R.RegisterBrokerResult };
  unregisterBroker: { request: Q.UnregisterBrokerRequest; result: R.UnregisterBrokerResult };
  listBrokers: { request: Q.ListBrokersRequest; result: R.ListBrokersResult };
  alterControllerVoters: { request: Q.AlterControllerVotersRequest; result: R.AlterControllerVotersResult };
  joinGroup: { request: Q.JoinGroupRequest; result: R.JoinGroupResult };
  syncGroup: { request: Q.SyncGroupRequest; result: R.SyncGroupResult };
  heartbeat: { request: Q.HeartbeatRequest; result: R.HeartbeatResult };
  leaveGroup: { request: Q.LeaveGroupRequest; result: R.LeaveGroupResult };
  commitOffsets: { request: Q.CommitOffsetsRequest; result: R.CommitOffsetsResult };
  fetchOffsets: { request: Q.FetchOffsetsRequest; result: R.FetchOffsetsResult };
  listGroups: { request: Q.ListGroupsRequest; result: R.ListGroupsResult };
  describeGroup: { request: Q.DescribeGroupRequest; result: R.DescribeGroupResult };
  resetOffsets: { request: Q.ResetOffsetsRequest; result: R.ResetOffsetsResult };
  createAcls: { request: Q.CreateAclsRequest; result: R.CreateAclsResult };
  deleteAcls: { request: Q.DeleteAclsRequest; result: R.DeleteAclsResult };
  listAcls: { request: Q.ListAclsRequest; result: R.ListAclsResult };
  authenticate: { request: Q.AuthenticateRequest; result: R.AuthenticateResult };
  createUser: { request: Q.CreateUserRequest; result: R.CreateUserResult };
  deleteUser: { request: Q.DeleteUserRequest; result: R.DeleteUserResult };
  listUsers: { request: Q.ListUsersRequest; result: R.ListUsersResult };
  alterTopic: { request: Q.AlterTopicRequest; result: R.AlterTopicResult };
  reassignPartitions: { request: Q.ReassignPartitionsRequest; result: R.ReassignPartitionsResult };
  listReassignments: { request: Q.ListReassignmentsRequest; result: R.ListReassignmentsResult };
  cancelReassignment: { request: Q.CancelReassignmentRequest; result: R.CancelReassignmentResult };
  decommissionBroker: { request: Q.DecommissionBrokerRequest; result: R.DecommissionBrokerResult };
}

/** An operation name. */
export type OpName = keyof Operations;

/** The request body of an operation. */
export type RequestOf<O extends OpName> = Operations[O]["request"];

/** The result body of an operation. */
export type ResultOf<O extends OpName> = Operations[O]["result"];

/** Any request body: a union discriminated on `op`. */
export type Request = { [O in OpName]: RequestOf<O> }[OpName];

const opTable: { readonly [O in OpName]: true } = {
  handshake: true,
  metadata: true,
  createTopic: true,
  deleteTopic: true,
  describeTopic: true,
  listTopics: true,
  produce: true,
  fetch: true,
  listOffsets: true,
  initProducerId: true,
  transferLeader: true,
  rebalanceLeaders: true,
  clusterStatus: true,
  registerBroker: true,
  unregisterBroker: true,
  listBrokers: true,
  alterControllerVoters: true,
  joinGroup: true,
  syncGroup: true,
  heartbeat: true,
  leaveGroup: true,
  commitOffsets: true,
  fetchOffsets: true,
  listGroups: true,
  describeGroup: true,
  resetOffsets: true,
  createAcls: true,
  deleteAcls: true,
  listAcls: true,
  authenticate: true,
  createUser: true,
  deleteUser: true,
  listUsers: true,
  alterTopic: true,
  reassignPartitions: true,
  listReassignments: true,
  cancelReassignment: true,
  decommissionBroker: true,
};

/** Ops the session answers itself, never a handler: the handshake and the SASL exchange. */
export const SESSION_OPS = ["handshake", "authenticate"] as const;
/** An op answered by the session itself. */
export type SessionOp = (typeof SESSION_OPS)[number];
/** An op answered by a handler (broker/server/handlers.ts). */
export type HandlerOp = Exclude<OpName, SessionOp>;

/** Every op name, in table order. */
export const OPS: readonly OpName[] = Object.freeze(Object.keys(opTable) as OpName[]);

/** Whether a string is a known op name (own keys only: "toString" is not an op). */
export function isOpName(value: unknown): value is OpName {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(opTable, value);
}
