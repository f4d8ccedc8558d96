/**
 * Bounds and timings of the group coordinator. Every in-memory table of
 * broker/consumer-groups is bounded by one of these (docs/GROUPS.md lists
 * them); a request that would pass a bound gets GROUP_LIMIT_REACHED.
 */
import { GROUP_COORDINATOR_DEFAULTS } from "../protocol/defaults.js";

/** Most groups one offsets-topic partition holds (committed state, every replica). */
export const GROUPS_PER_PARTITION_MAX = GROUP_COORDINATOR_DEFAULTS.groupsPerPartitionMax;
/** Most members of one group. */
export const GROUP_MEMBERS_MAX = GROUP_COORDINATOR_DEFAULTS.groupMembersMax;
/** Most committed offsets (topic-partitions) of one group. */
export const GROUP_OFFSETS_MAX = GROUP_COORDINATOR_DEFAULTS.groupOffsetsMax;
/** How often the coordinator checks session expiry and join barriers, and that the offsets topic exists. */
export const GROUP_TICK_MS = GROUP_COORDINATOR_DEFAULTS.groupTickMs;
/** How long a group write (generation record, offset commit) waits for its commit before TIMEOUT. */
export const GROUP_WRITE_TIMEOUT_MS = GROUP_COORDINATOR_DEFAULTS.groupWriteTimeoutMs;
/** Largest group-table snapshot taken or accepted (see GROUP_COORDINATOR_DEFAULTS.groupSnapshotBytesMax). */
export const GROUP_SNAPSHOT_BYTES_MAX = GROUP_COORDINATOR_DEFAULTS.groupSnapshotBytesMax;
