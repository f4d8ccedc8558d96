/**
 * Cluster metadata: the controller group's state machine. Commands are
 * msgpack-encoded Raft Command entries; applying them is deterministic, so
 * every controller voter holds the same metadata at the same index.
 */
import { Packr } from "msgpackr";
import type { Acl, AclFilter } from "../protocol/acls.js";
import type { TopicConfig } from "../protocol/requests.js";
import { AclSet } from "../security/acl.js";
import { reassignmentOf, sameList, withCancels, withMoves, type PartitionMove, type PartitionReassignment } from "./reassignments.js";
import type { ScramCredential } from "../protocol/scram.js";
import { EntryKind, type Entry, type Index, type NodeId, type Snapshot } from "../raft/types.js";

/** Stored in the controller log: numeric and append-only. */
export const MetadataOp = {
  CreateTopic: 1,
  DeleteTopic: 2,
  /** Allocate a producer id for idempotent produce: the id is the entry's index. */
  AllocateProducerId: 3,
  /** Ask every broker to hand leadership of its partitions back to their preferred replicas. */
  RebalanceLeaders: 4,
  /**
   * Name the cluster (a random id): the first one applied wins, later ones are
   * rejected. The controller puts one ahead of its first other command, so no
   * topic exists before the cluster has an id (see disk-identity.ts).
   */
  InitCluster: 5,
  /** Create a SCRAM user or replace its credential (a password change). */
  UpsertUser: 6,
  /** Delete a SCRAM user. */
  DeleteUser: 7,
  /** Add ACLs; ones already held are skipped. */
  CreateAcls: 8,
  /** Remove every ACL matching any of the filters. */
  DeleteAcls: 9,
  /**
   * Hand the proposing controller leader the next block of `count` producer
   * ids (Kafka's AllocateProducerIds). Where the block starts is decided at
   * apply, from `nextProducerId`, so every voter computes the same block.
   */
  AllocateProducerIdBlock: 10,
  /**
   * Add partitions to a topic (their replica lists appended; never fewer) and/or
   * replace its settings.
   */
  AlterTopic: 11,
  /**
   * Start moving partitions of one topic to target replica lists
   * (broker/cluster/reassignments.ts): recorded next to the current lists,
   * which stay until each move completes. Rejected whole when a partition is
   * unknown, named twice, already moving, or its list is malformed.
   */
  ReassignPartitions: 12,
  /** A moving partition's group reached its target: the target becomes its replica list. */
  CompleteReassignment: 13,
  /**
   * Cancel moves of one topic: each partition turns back toward its own
   * replica list (its target kept as `cancelled`, whose brokers host it
   * until the group is back), and completes like any move. Rejected whole
   * when a partition is not moving, already cancelled, or named twice.
   */
  CancelReassignment: 14,
  /**
   * Add a broker to the registry (docs/OPERATIONS.md, "Adding a broker"):
   * its id and advertised addresses. Rejected when the id is registered already.
   */
  RegisterBroker: 15,
  /** Remove a broker from the registry; rejected when it is not registered or still holds replicas. */
  UnregisterBroker: 16,
} as const;
export type MetadataOp = (typeof MetadataOp)[keyof typeof MetadataOp];

export type MetadataCommand =
  | {
      readonly op: typeof MetadataOp.CreateTopic;
      readonly name: string;
      /** Replica lists in preference order, one per partition. */
      readonly replicas: readonly (readonly NodeId[])[];
      readonly config: TopicConfig;
      readonly createdMs: number;
    }
  | { readonly op: typeof MetadataOp.DeleteTopic; readonly name: string }
  | { readonly op: typeof MetadataOp.AllocateProducerId }
  | { readonly op: typeof MetadataOp.RebalanceLeaders; readonly topic?: string }
  | { readonly op: typeof MetadataOp.InitCluster; readonly clusterId: string }
  | { readonly op: typeof MetadataOp.CreateAcls; readonly acls: readonly Acl[] }
  | { readonly op: typeof MetadataOp.DeleteAcls; readonly filters: readonly AclFilter[] }
  | { readonly op: typeof MetadataOp.UpsertUser; readonly name: string; readonly credential: ScramCredential }
  | { readonly op: typeof MetadataOp.DeleteUser; readonly name: string }
  | {
      readonly op: typeof MetadataOp.AlterTopic;
      readonly name: string;
      /** The topic incarnation the change was checked against (TopicMeta.id): a re-created topic is not altered. */
      readonly topicId: number;
      /** With addReplicas: the partition count they were placed after; rejected when the topic has another by now. */
      readonly partitionsBefore?: number;
      /** Replica lists of the partitions to add, in partition order after the existing ones. */
      readonly addReplicas?: readonly (readonly NodeId[])[];
      /** The topic's whole new settings (the old ones with the change merged in). */
      readonly config?: TopicConfig;
    }
  | { readonly op: typeof MetadataOp.AllocateProducerIdBlock; readonly count: number }
  | { readonly op: typeof MetadataOp.RegisterBroker; readonly broker: RegisteredBroker }
  | { readonly op: typeof MetadataOp.UnregisterBroker; readonly id: NodeId }
  | {
      readonly op: typeof MetadataOp.ReassignPartitions;
      readonly name: string;
      /** The topic incarnation the moves were checked against (TopicMeta.id). */
      readonly topicId: number;
      readonly moves: readonly PartitionMove[];
    }
  | {
      readonly op: typeof MetadataOp.CompleteReassignment;
      readonly name: string;
      readonly topicId: number;
      readonly partition: number;
      /** The target completed: applied only while it is still the partition's target. */
      readonly replicas: readonly NodeId[];
    }
  | {
      readonly op: typeof MetadataOp.CancelReassignment;
      readonly name: string;
      readonly topicId: number;
      readonly partitions: readonly number[];
    };

/**
 * A broker added to a running cluster by RegisterBroker: where peers and
 * clients reach it (its advertised host and ports, as a `brokers` config entry).
 */
export interface RegisteredBroker {
  readonly id: NodeId;
  readonly host: string;
  readonly clientPort: number;
  readonly peerPort: number;
  /** Its Kafka-protocol listener's port, when it has one (docs/KAFKA.md). */
  readonly kafkaPort?: number;
}

/**
 * Where the first block of producer ids starts (2^40), unless ids were
 * already handed out above it.
 *
 * Why ids from blocks never collide with ids of the old scheme, in which an
 * AllocateProducerId entry's id was its own index:
 * - A block starts at max(nextProducerId, PRODUCER_ID_BLOCK_FLOOR, index + 1),
 *   where `index` is the block entry's. Every old entry before it in the log
 *   has a lower index, so its id is below the block, whether this voter
 *   replayed that entry or restored a snapshot covering it (an old snapshot
 *   has no nextProducerId: restored as 0, and `index + 1` alone is enough).
 * - An old entry after a block (an older broker leading the controller during
 *   a rolling upgrade) has an index below 2^40, so below every block: the
 *   controller log would need a trillion entries to reach the floor.
 * - Blocks are disjoint from each other: each starts at nextProducerId or
 *   higher and raises it past its end; nextProducerId never decreases and a
 *   snapshot carries it once a block was handed out.
 * nextProducerId changes only with blocks, so every voter holds the same
 * value at the same index, whether it replayed the log or restored a snapshot.
 * Ids stay safe integers (below 2^53, int64 in the record batch): a block
 * that would pass Number.MAX_SAFE_INTEGER is rejected, never wrapped.
 */
export const PRODUCER_ID_BLOCK_FLOOR = 2 ** 40;

/** Largest block one command may ask for (blocks are small; this bounds a bad command). */
export const PRODUCER_ID_BLOCK_COUNT_MAX = 1_000_000;

/** A block of producer ids: [firstProducerId, firstProducerId + count). */
export interface ProducerIdBlock {
  readonly firstProducerId: number;
  readonly count: number;
  /** Index of the AllocateProducerIdBlock entry that handed it out. */
  readonly index: Index;
}

/** A SCRAM user in the metadata: salted keys, never a password. */
export interface UserMeta {
  readonly name: string;
  readonly credential: ScramCredential;
}

/** A topic as the controller knows it. */
export interface TopicMeta {
  readonly name: string;
  /** Index of the CreateTopic entry: unique, so a re-created topic never reuses old data. */
  readonly id: number;
  readonly replicas: readonly (readonly NodeId[])[];
  readonly config: TopicConfig;
  readonly createdMs: number;
  /**
   * Moving partitions and their targets, sorted by partition; absent (never
   * empty) while none move. `replicas` keeps each one's current list until
   * its move completes (broker/cluster/reassignments.ts).
   */
  readonly reassignments?: readonly PartitionReassignment[];
}

/** What changed when a command was applied. */
export type MetadataChange =
  | { readonly kind: "topicCreated"; readonly topic: TopicMeta; readonly index: Index }
  | { readonly kind: "topicDeleted"; readonly topic: TopicMeta; readonly index: Index }
  /** `topic` is the topic after the change, `before` as it was: partitions >= before.replicas.length are new. */
  | { readonly kind: "topicAltered"; readonly topic: TopicMeta; readonly before: TopicMeta; readonly index: Index }
  /** Partitions of `topic` started moving (`moves` as recorded); `before` is the topic as it was. */
  | { readonly kind: "reassignmentStarted"; readonly topic: TopicMeta; readonly before: TopicMeta; readonly moves: readonly PartitionReassignment[]; readonly index: Index }
  /** Moves of `topic` were cancelled: each of `moves` now heads back to the partition's list (`target`), `cancelled` the target given up. */
  | { readonly kind: "reassignmentCancelled"; readonly topic: TopicMeta; readonly moves: readonly PartitionReassignment[]; readonly index: Index }
  /** A move completed: `topic.replicas[partition]` is the target now, `from` the list before. */
  | { readonly kind: "reassignmentCompleted"; readonly topic: TopicMeta; readonly partition: number; readonly from: readonly NodeId[]; readonly index: Index }
  | { readonly kind: "producerIdAllocated"; readonly producerId: number; readonly index: Index }
  | { readonly kind: "producerIdBlockAllocated"; readonly block: ProducerIdBlock; readonly index: Index }
  | { readonly kind: "rebalanceRequested"; readonly topic: string | undefined; readonly index: Index }
  | { readonly kind: "clusterInitialized"; readonly clusterId: string; readonly index: Index }
  | { readonly kind: "aclsCreated"; readonly acls: readonly Acl[]; readonly index: Index }
  | { readonly kind: "aclsDeleted"; readonly acls: readonly Acl[]; readonly index: Index }
  | { readonly kind: "userUpserted"; readonly name: string; readonly index: Index }
  | { readonly kind: "userDeleted"; readonly name: string; readonly index: Index }
  | { readonly kind: "brokerRegistered"; readonly broker: RegisteredBroker; readonly index: Index }
  | { readonly kind: "brokerUnregistered"; readonly broker: RegisteredBroker; readonly index: Index }
  | { readonly kind: "rejected"; readonly reason: string; readonly index: Index };

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

export function encodeCommand(c: MetadataCommand): Uint8Array {
  return packr.pack(c);
}

/** The metadata state at some applied index. */
export class ClusterMetadata {
  private readonly topicsByName = new Map<string, TopicMeta>();
  private readonly usersByName = new Map<string, UserMeta>();
  /** The broker registry (RegisterBroker / UnregisterBroker), by id; the config's `brokers` are its seed, outside it. */
  private readonly registered = new Map<NodeId, RegisteredBroker>();
  appliedIndex = 0 as Index;
  /** The cluster's id, once an InitCluster is applied. */
  clusterId: string | undefined;
  /** The ACLs (docs/SECURITY.md), indexed for the authorizer. */
  readonly acls = new AclSet();
  /**
   * The end of the last block handed out (0 before any): the next block
   * starts here or higher (see PRODUCER_ID_BLOCK_FLOOR). Never decreases.
   */
  nextProducerId = 0;
  /** The block handed out last (the controller reads its own from it once committed). */
  lastProducerIdBlock: ProducerIdBlock | undefined;

  topics(): TopicMeta[] {
    return [...this.topicsByName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
  topic(name: string): TopicMeta | undefined {
    return this.topicsByName.get(name);
  }

  /** Every SCRAM user, sorted by name. */
  users(): UserMeta[] {
    return [...this.usersByName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
  /** A SCRAM user's credential, or undefined. */
  user(name: string): ScramCredential | undefined {
    return this.usersByName.get(name)?.credential;
  }

  /** Every registered broker, by id. */
  registeredBrokers(): RegisteredBroker[] {
    return [...this.registered.values()].sort((a, b) => a.id - b.id);
  }
  /** A registered broker, or undefined. */
  registeredBroker(id: NodeId): RegisteredBroker | undefined {
    return this.registered.get(id);
  }

  /** How many partition replicas broker `id` holds, over every topic. */
  replicaCount(id: NodeId): number {
    let n = 0;
    for (const t of this.topicsByName.values()) for (const r of t.replicas) if (r.includes(id)) n++;
    return n;
  }

  /** How many partitions each broker is the preferred leader of. */
  leaderCounts(): Map<NodeId, number> {
    const counts = new Map<NodeId, number>();
    for (const t of this.topicsByName.values()) {
      for (const r of t.replicas) if (r[0] !== undefined) counts.set(r[0], (counts.get(r[0]) ?? 0) + 1);
    }
    return counts;
  }

  /** Apply committed entries; returns what changed, in order. */
  apply(entries: readonly Entry[]): MetadataChange[] {
    const changes: MetadataChange[] = [];
    for (const e of entries) {
      if (e.index <= this.appliedIndex) continue;
      this.appliedIndex = e.index;
      if (e.kind !== EntryKind.Command) continue;
      let c: MetadataCommand;
      try {
        c = packr.unpack(e.data) as MetadataCommand;
      } catch {
        changes.push({ kind: "rejected", reason: "undecodable command", index: e.index });
        continue;
      }
      changes.push(this.applyCommand(c, e.index));
    }
    return changes;
  }

  private applyCommand(c: MetadataCommand, index: Index): MetadataChange {
    switch (c.op) {
      case MetadataOp.CreateTopic: {
        if (this.topicsByName.has(c.name)) return { kind: "rejected", reason: `topic ${c.name} already exists`, index };
        const topic: TopicMeta = { name: c.name, id: index, replicas: c.replicas, config: c.config, createdMs: c.createdMs };
        this.topicsByName.set(c.name, topic);
        return { kind: "topicCreated", topic, index };
      }
      case MetadataOp.DeleteTopic: {
        const topic = this.topicsByName.get(c.name);
        if (!topic) return { kind: "rejected", reason: `topic ${c.name} does not exist`, index };
        this.topicsByName.delete(c.name);
        return { kind: "topicDeleted", topic, index };
      }
      case MetadataOp.AllocateProducerId:
        // The old scheme (logs written before blocks): the id is the index. Later blocks start above it (see PRODUCER_ID_BLOCK_FLOOR).
        return { kind: "producerIdAllocated", producerId: index, index };
      case MetadataOp.AllocateProducerIdBlock: {
        const count = c.count;
        if (!Number.isSafeInteger(count) || count < 1 || count > PRODUCER_ID_BLOCK_COUNT_MAX) {
          return { kind: "rejected", reason: `AllocateProducerIdBlock with count ${String(count)} (1..${PRODUCER_ID_BLOCK_COUNT_MAX})`, index };
        }
        const firstProducerId = Math.max(this.nextProducerId, PRODUCER_ID_BLOCK_FLOOR, index + 1);
        if (firstProducerId + count > Number.MAX_SAFE_INTEGER) return { kind: "rejected", reason: "producer ids are used up", index };
        const block: ProducerIdBlock = { firstProducerId, count, index };
        this.nextProducerId = firstProducerId + count;
        this.lastProducerIdBlock = block;
        return { kind: "producerIdBlockAllocated", block, index };
      }
      case MetadataOp.RebalanceLeaders:
        return { kind: "rebalanceRequested", topic: c.topic, index };
      case MetadataOp.InitCluster: {
        if (this.clusterId !== undefined) return { kind: "rejected", reason: `the cluster already has id ${this.clusterId}`, index };
        if (typeof c.clusterId !== "string" || c.clusterId === "") return { kind: "rejected", reason: "InitCluster without a cluster id", index };
        this.clusterId = c.clusterId;
        return { kind: "clusterInitialized", clusterId: c.clusterId, index };
      }
      case MetadataOp.CreateAcls: {
        if (!Array.isArray(c.acls)) return { kind: "rejected", reason: "CreateAcls without acls", index };
        const created = c.acls.filter((acl) => this.acls.add(acl));
        return { kind: "aclsCreated", acls: created, index };
      }
      case MetadataOp.DeleteAcls: {
        if (!Array.isArray(c.filters)) return { kind: "rejected", reason: "DeleteAcls without filters", index };
        const deleted = c.filters.flatMap((f) => this.acls.remove(f));
        return { kind: "aclsDeleted", acls: deleted, index };
      }
      case MetadataOp.UpsertUser: {
        const credential = storedCredential(c.credential);
        if (typeof c.name !== "string" || c.name === "" || credential === undefined) return { kind: "rejected", reason: "UpsertUser without a name or a well-formed credential", index };
        this.usersByName.set(c.name, { name: c.name, credential });
        return { kind: "userUpserted", name: c.name, index };
      }
      case MetadataOp.DeleteUser: {
        if (!this.usersByName.delete(c.name)) return { kind: "rejected", reason: `user ${c.name} does not exist`, index };
        return { kind: "userDeleted", name: c.name, index };
      }
      case MetadataOp.AlterTopic:
        return this.alterTopic(c, index);
      case MetadataOp.RegisterBroker: {
        const b = storedBroker(c.broker);
        if (b === undefined) return { kind: "rejected", reason: "RegisterBroker without a well-formed broker", index };
        if (this.registered.has(b.id)) return { kind: "rejected", reason: `broker ${b.id} is already registered`, index };
        this.registered.set(b.id, b);
        return { kind: "brokerRegistered", broker: b, index };
      }
      case MetadataOp.UnregisterBroker: {
        const b = this.registered.get(c.id);
        if (b === undefined) return { kind: "rejected", reason: `broker ${String(c.id)} is not registered`, index };
        // Checked again here: a topic created between the controller's check and this commit may have placed replicas on it.
        const held = this.replicaCount(b.id);
        if (held > 0) return { kind: "rejected", reason: `broker ${b.id} still holds ${held} partition replicas`, index };
        this.registered.delete(b.id);
        return { kind: "brokerUnregistered", broker: b, index };
      }
      case MetadataOp.ReassignPartitions:
        return this.reassignPartitions(c, index);
      case MetadataOp.CompleteReassignment:
        return this.completeReassignment(c, index);
      case MetadataOp.CancelReassignment: {
        const before = this.topicsByName.get(c.name);
        if (!before || before.id !== c.topicId) return { kind: "rejected", reason: `topic ${c.name} (id ${c.topicId}) does not exist`, index };
        const next = withCancels(before, c.partitions);
        if (typeof next === "string") return { kind: "rejected", reason: `CancelReassignment of ${c.name}: ${next}`, index };
        const topic: TopicMeta = { ...before, reassignments: next };
        this.topicsByName.set(c.name, topic);
        return { kind: "reassignmentCancelled", topic, moves: next.filter((r) => c.partitions.includes(r.partition)), index };
      }
      default:
        return { kind: "rejected", reason: `unknown command ${(c as { op: unknown }).op}`, index };
    }
  }

  /**
   * Apply an AlterTopic: the controller checked it against the state it
   * proposed on, but a command committed in between (a delete, a re-create,
   * another alter) may have changed the topic, so it is checked again here,
   * deterministically, and rejected whole when it no longer fits.
   */
  private alterTopic(c: Extract<MetadataCommand, { op: typeof MetadataOp.AlterTopic }>, index: Index): MetadataChange {
    const before = this.topicsByName.get(c.name);
    if (!before || before.id !== c.topicId) return { kind: "rejected", reason: `topic ${c.name} (id ${c.topicId}) does not exist`, index };
    const add = c.addReplicas ?? [];
    if (!Array.isArray(add)) return { kind: "rejected", reason: "AlterTopic with malformed replica lists", index };
    if (add.length > 0 && c.partitionsBefore !== before.replicas.length) {
      return { kind: "rejected", reason: `AlterTopic placed partitions after ${c.partitionsBefore} but topic ${c.name} has ${before.replicas.length}`, index };
    }
    const rf = before.replicas[0]?.length ?? 0;
    for (const r of add) {
      if (!Array.isArray(r) || r.length !== rf || new Set(r).size !== r.length) {
        return { kind: "rejected", reason: `AlterTopic replica list ${JSON.stringify(r)} does not match replication factor ${rf}`, index };
      }
    }
    if (add.length === 0 && c.config === undefined) return { kind: "rejected", reason: "AlterTopic changes nothing", index };
    const topic: TopicMeta = { ...before, replicas: [...before.replicas, ...add], config: c.config ?? before.config };
    this.topicsByName.set(c.name, topic);
    return { kind: "topicAltered", topic, before, index };
  }

  /**
   * Apply a ReassignPartitions, checked again at apply (as AlterTopic) since
   * a command committed in between may have moved or deleted the topic.
   */
  private reassignPartitions(c: Extract<MetadataCommand, { op: typeof MetadataOp.ReassignPartitions }>, index: Index): MetadataChange {
    const before = this.topicsByName.get(c.name);
    if (!before || before.id !== c.topicId) return { kind: "rejected", reason: `topic ${c.name} (id ${c.topicId}) does not exist`, index };
    const next = withMoves(before, c.moves);
    if (typeof next === "string") return { kind: "rejected", reason: `ReassignPartitions of ${c.name}: ${next}`, index };
    const topic: TopicMeta = { ...before, reassignments: next };
    this.topicsByName.set(c.name, topic);
    const moves = next.filter((r) => reassignmentOf(before, r.partition) === undefined);
    return { kind: "reassignmentStarted", topic, before, moves, index };
  }

  /** Apply a CompleteReassignment: only while `replicas` is still the partition's target. */
  private completeReassignment(c: Extract<MetadataCommand, { op: typeof MetadataOp.CompleteReassignment }>, index: Index): MetadataChange {
    const before = this.topicsByName.get(c.name);
    if (!before || before.id !== c.topicId) return { kind: "rejected", reason: `topic ${c.name} (id ${c.topicId}) does not exist`, index };
    const move = reassignmentOf(before, c.partition);
    if (move === undefined || !Array.isArray(c.replicas) || !sameList(move.target, c.replicas)) {
      return { kind: "rejected", reason: `partition ${c.name}/${c.partition} is not moving to ${JSON.stringify(c.replicas)}`, index };
    }
    const from = before.replicas[c.partition]!;
    const rest = before.reassignments!.filter((r) => r.partition !== c.partition);
    const replicas = before.replicas.map((r, p) => (p === c.partition ? move.target : r));
    const { reassignments: _dropped, ...base } = before;
    const topic: TopicMeta = rest.length > 0 ? { ...base, replicas, reassignments: rest } : { ...base, replicas };
    this.topicsByName.set(c.name, topic);
    return { kind: "reassignmentCompleted", topic, partition: c.partition, from, index };
  }

  /** The whole state, for a snapshot. */
  encode(): Uint8Array {
    // `users` only when there are some: a snapshot without users is byte for byte what older brokers wrote.
    return packr.pack({
      topics: this.topics(),
      appliedIndex: this.appliedIndex,
      ...(this.clusterId !== undefined ? { clusterId: this.clusterId } : {}),
      ...(this.acls.size > 0 ? { acls: this.acls.list() } : {}),
      ...(this.usersByName.size > 0 ? { users: this.users() } : {}),
      // Only once a block was handed out: otherwise byte for byte what older brokers wrote.
      ...(this.nextProducerId > 0 ? { nextProducerId: this.nextProducerId } : {}),
      // Only once a broker was registered: otherwise byte for byte what older brokers wrote.
      ...(this.registered.size > 0 ? { brokers: this.registeredBrokers() } : {}),
    });
  }

  /** Replace the state with a snapshot's. */
  restore(snapshot: Snapshot): void {
    this.topicsByName.clear();
    this.usersByName.clear();
    this.registered.clear();
    this.appliedIndex = snapshot.index;
    this.clusterId = undefined;
    this.acls.replaceAll([]);
    this.lastProducerIdBlock = undefined;
    // A snapshot without `nextProducerId` was taken before any block: 0, as on a voter that
    // applied that log. Old AllocateProducerId ids it covers are below the next block anyway
    // (its entry's index + 1 is a lower bound; see PRODUCER_ID_BLOCK_FLOOR).
    this.nextProducerId = 0;
    if (snapshot.data.byteLength === 0) return;
    // Snapshots taken before ACLs existed have no `acls`: none.
    const s = packr.unpack(snapshot.data) as { topics: TopicMeta[]; clusterId?: string; acls?: Acl[]; users?: UserMeta[]; nextProducerId?: unknown; brokers?: unknown };
    if (typeof s.nextProducerId === "number" && Number.isSafeInteger(s.nextProducerId) && s.nextProducerId >= 0) this.nextProducerId = s.nextProducerId;
    if (typeof s.clusterId === "string" && s.clusterId !== "") this.clusterId = s.clusterId;
    if (Array.isArray(s.acls)) this.acls.replaceAll(s.acls);
    for (const t of s.topics) this.topicsByName.set(t.name, t);
    // Snapshots of brokers before users existed have no `users`.
    for (const u of Array.isArray(s.users) ? s.users : []) {
      const credential = storedCredential(u.credential);
      if (typeof u.name === "string" && credential !== undefined) this.usersByName.set(u.name, { name: u.name, credential });
    }
    // Snapshots taken before the registry existed have no `brokers`.
    for (const raw of Array.isArray(s.brokers) ? (s.brokers as unknown[]) : []) {
      const b = storedBroker(raw);
      if (b !== undefined) this.registered.set(b.id, b);
    }
  }
}

/** Largest port number. */
const PORT_MAX = 65_535;
/** Longest advertised host name kept (DNS names are at most 253 characters). */
const BROKER_HOST_LENGTH_MAX = 253;

/** A registered broker as decoded from the log or a snapshot, or undefined when malformed. */
function storedBroker(b: unknown): RegisteredBroker | undefined {
  if (typeof b !== "object" || b === null) return undefined;
  const { id, host, clientPort, peerPort, kafkaPort } = b as Record<string, unknown>;
  const port = (p: unknown): p is number => typeof p === "number" && Number.isInteger(p) && p >= 1 && p <= PORT_MAX;
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 1) return undefined;
  if (typeof host !== "string" || host === "" || host.length > BROKER_HOST_LENGTH_MAX || !port(clientPort) || !port(peerPort)) return undefined;
  if (kafkaPort !== undefined && kafkaPort !== null && !port(kafkaPort)) return undefined;
  return { id: id as NodeId, host, clientPort, peerPort, ...(port(kafkaPort) ? { kafkaPort } : {}) };
}

/** A credential as decoded from the log (msgpack bin arrives as Buffer), or undefined when malformed. */
function storedCredential(c: unknown): ScramCredential | undefined {
  if (typeof c !== "object" || c === null) return undefined;
  const r = c as Record<string, unknown>;
  const { mechanism, salt, iterations, storedKey, serverKey } = r;
  if (mechanism !== "SCRAM-SHA-256" || typeof iterations !== "number") return undefined;
  if (!(salt instanceof Uint8Array) || !(storedKey instanceof Uint8Array) || !(serverKey instanceof Uint8Array)) return undefined;
  return { mechanism, salt, iterations, storedKey, serverKey };
}
