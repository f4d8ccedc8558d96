/**
 * The broker's handler for each client operation (see server/handlers.ts).
 * Data operations go to the partition replica; admin operations to the
 * controller (NOT_CONTROLLER with a hint when this broker does not lead it).
 * Consumer-group operations go to the group coordinator
 * (consumer-groups/coordinator.ts; NOT_COORDINATOR with a hint when this
 * broker does not lead the group's offsets partition).
 */
import type { Broker } from "./broker.js";
import { clientUrl, partitionGroupId } from "./broker.js";
import type { TopicMeta } from "./cluster/metadata.js";
import { RlogError } from "./protocol/errors.js";
import type { TopicConfig } from "./protocol/requests.js";
import type { PartitionMetadata, PartitionStatus, TopicDescription, TopicMetadata } from "./protocol/results.js";
import type { OpHandlers } from "./server/handlers.js";
import { nodeId, type NodeId } from "./raft/types.js";

/** How long transferLeader waits for the new leader when the request gives no timeoutMs. */
export const TRANSFER_WAIT_MS_DEFAULT = 10_000;

const isInternal = (name: string): boolean => name.startsWith("__");

export function buildHandlers(b: Broker): OpHandlers {
  const partitionMeta = (t: TopicMeta): PartitionMetadata[] =>
    t.replicas.map((replicas, p) => {
      const { leader, term } = b.leaderOf(partitionGroupId(t.id, p));
      return { partition: p, leader, replicas: [...replicas], term };
    });
  const topicMeta = (t: TopicMeta): TopicMetadata => ({ name: t.name, internal: isInternal(t.name), partitions: partitionMeta(t) });
  const describe = (t: TopicMeta): TopicDescription => ({ ...topicMeta(t), replicationFactor: t.replicas[0]?.length ?? 0, config: t.config });

  return {
    metadata: async (req) => {
      const all = b.controller.metadata.topics();
      const topics = req.topics ? all.filter((t) => req.topics!.includes(t.name)) : all;
      return {
        brokers: b.config.brokers.map((x) => ({ brokerId: x.id, clientUrl: clientUrl(x) })),
        controllerId: b.controller.leader(),
        topics: topics.map(topicMeta),
      };
    },

    createTopic: async (req) => {
      const config: TopicConfig = { ...b.topicDefaults(), ...req.config };
      if (req.partitions > b.limits.partitionsMax) {
        throw new RlogError("INVALID_PARTITIONS", `partitions ${req.partitions} exceeds partitionsMax ${b.limits.partitionsMax}`);
      }
      const t = await b.controller.createTopic(req.name, req.partitions, req.replicationFactor, config);
      return { topic: describe(t) };
    },

    deleteTopic: async (req) => {
      await b.controller.deleteTopic(req.name);
      return {};
    },

    describeTopic: async (req) => {
      const t = b.controller.metadata.topic(req.name);
      if (!t) throw new RlogError("UNKNOWN_TOPIC", `topic ${req.name} does not exist`);
      return { topic: describe(t) };
    },

    listTopics: async (req) => ({
      topics: b.controller.metadata
        .topics()
        .filter((t) => req.includeInternal || !isInternal(t.name))
        .map((t) => ({ name: t.name, partitions: t.replicas.length, replicationFactor: t.replicas[0]?.length ?? 0, internal: isInternal(t.name) })),
    }),

    produce: (req) => b.replica(req.topic, req.partition).produce(req),

    fetch: (req, ctx) => b.replica(req.topic, req.partition).fetch(req, ctx.signal),

    listOffsets: async (req) => b.replica(req.topic, req.partition).listOffsets(req),

    initProducerId: async (req) => {
      // Epochs are not bumped yet: every producer id starts at epoch 0 (docs/PROTOCOL.md).
      if (req.producerId !== undefined) return { producerId: req.producerId, producerEpoch: req.producerEpoch ?? 0 };
      return { producerId: await b.controller.allocateProducerId(), producerEpoch: 0 };
    },

    transferLeader: async (req, ctx) => {
      const target: NodeId | undefined = req.toBrokerId === undefined ? undefined : nodeId(req.toBrokerId);
      // Refused the same way on every broker, before routing: a target that is not a replica can never lead.
      const replicas = b.controller.metadata.topic(req.topic)?.replicas[req.partition];
      if (target !== undefined && replicas !== undefined && !replicas.includes(target)) {
        const known = b.config.brokers.some((x) => x.id === target);
        throw new RlogError(
          "INVALID_REQUEST",
          `broker ${target} ${known ? "is not a replica of" : "is not a broker of this cluster, so it cannot lead"} ${req.topic}/${req.partition} (replicas ${replicas.join(",")}); transfer to one of them`,
        );
      }
      const r = b.replica(req.topic, req.partition);
      if (!r.isLeader()) {
        const s = r.runner.status();
        // Already where it was asked to be: nothing to do.
        if (target !== undefined && s.leader === target) return { leader: s.leader, term: s.term };
        const leader = r.leader();
        throw new RlogError(leader ? "NOT_LEADER" : "LEADER_NOT_AVAILABLE", `${req.topic}/${req.partition} is led by broker ${leader}`, leader ? { leader: b.leaderHint(leader) } : undefined);
      }
      const started = r.transfer(target);
      if (!started.ok) {
        throw new RlogError(started.code === "LEADER_TRANSFER_IN_PROGRESS" ? "LEADER_TRANSFER_IN_PROGRESS" : "INVALID_REQUEST", started.message, started.leader ? { leader: b.leaderHint(started.leader) } : undefined);
      }
      if (started.target === b.id) return { leader: b.id, term: r.runner.status().term };
      const deadline = Date.now() + (req.timeoutMs ?? TRANSFER_WAIT_MS_DEFAULT);
      while (Date.now() < deadline && !ctx.signal.aborted) {
        const s = r.runner.status();
        if (s.leader !== b.id && s.leader !== 0) {
          if (s.leader === started.target) return { leader: s.leader, term: s.term };
          throw new RlogError("LEADER_NOT_AVAILABLE", `leadership of ${req.topic}/${req.partition} went to broker ${s.leader}, not ${started.target}`);
        }
        if (s.leader === b.id && !s.transferee) {
          throw new RlogError("TIMEOUT", `broker ${started.target} did not take leadership of ${req.topic}/${req.partition} within an election timeout; broker ${b.id} leads again`);
        }
        await new Promise((res) => setTimeout(res, 5));
      }
      throw new RlogError("TIMEOUT", `leadership transfer of ${req.topic}/${req.partition} did not finish in time`);
    },

    rebalanceLeaders: async (req) => {
      // The request travels through the metadata log so that every broker moves what it leads.
      await b.controller.requestRebalance(req.topic);
      const moves = [];
      for (const t of b.controller.metadata.topics()) {
        if (req.topic !== undefined && t.name !== req.topic) continue;
        for (const [p, s] of partitionMeta(t).entries()) {
          const preferred = t.replicas[p]![0]!;
          if (s.leader !== 0 && s.leader !== preferred) moves.push({ topic: t.name, partition: p, fromBrokerId: s.leader, toBrokerId: preferred });
        }
      }
      return { moves };
    },

    joinGroup: (req, ctx) => b.groups.join(req, ctx.clientId, ctx.signal),

    syncGroup: async (req) => b.groups.sync(req),

    heartbeat: async (req) => {
      b.groups.heartbeat(req);
      return {};
    },

    leaveGroup: async (req) => {
      await b.groups.leave(req);
      return {};
    },

    commitOffsets: async (req) => {
      await b.groups.commit(req);
      return {};
    },

    fetchOffsets: async (req) => b.groups.fetchOffsets(req),

    listGroups: async () => ({ groups: b.groups.listGroups() }),

    describeGroup: async (req) => b.groups.describe(req.group),

    resetOffsets: (req) => b.groups.resetOffsets(req),

    clusterStatus: async () => {
      const partitions: PartitionStatus[] = [];
      for (const t of b.controller.metadata.topics()) {
        t.replicas.forEach((replicas, p) => {
          const r = b.partitions.get(partitionGroupId(t.id, p));
          if (r) partitions.push(r.status(replicas, (id) => b.reachable(id)));
          else {
            // Hosted elsewhere: the leader as announced; offsets and replica states only the replicas know.
            const { leader, term } = b.leaderOf(partitionGroupId(t.id, p));
            partitions.push({ topic: t.name, partition: p, leader, term, preferredLeader: replicas[0] ?? 0, highWatermark: 0, logStartOffset: 0, replicas: [] });
          }
        });
      }
      const cs = b.controller.runner.status();
      return {
        brokers: b.config.brokers.map((x) => ({ brokerId: x.id, clientUrl: clientUrl(x), reachable: b.reachable(nodeId(x.id)) })),
        controller: { leader: cs.leader, term: cs.term },
        partitions,
      };
    },
  };
}
