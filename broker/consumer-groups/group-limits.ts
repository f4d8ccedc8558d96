/**
 * Bounds and timings of the group coordinator. Every in-memory table of
 * broker/consumer-groups is bounded by one of these (docs/GROUPS.md lists
 * them); a request that would pass a bound gets GROUP_LIMIT_REACHED.
 */

/** Most groups one offsets-topic partition holds (committed state, every replica). */
export const GROUPS_PER_PARTITION_MAX = 10_000;
/** Most members of one group. */
export const GROUP_MEMBERS_MAX = 1_000;
/** Most committed offsets (topic-partitions) of one group. */
export const GROUP_OFFSETS_MAX = 100_000;
/** How often the coordinator checks session expiry and join barriers, and that the offsets topic exists. */
export const GROUP_TICK_MS = 100;
/** How long a group write (generation record, offset commit) waits for its commit before TIMEOUT. */
export const GROUP_WRITE_TIMEOUT_MS = 15_000;
