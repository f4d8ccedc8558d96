/**
 * The cluster-membership admin operations (docs/OPERATIONS.md): the broker
 * registry (registerBroker, unregisterBroker, listBrokers) and the
 * controller group's voters (alterControllerVoters). The controller leader
 * answers them; other brokers refuse with NOT_CONTROLLER and a hint.
 */
import { RlogError } from "../protocol/errors.js";
import { CONTROLLER_VOTERS_MAX } from "../protocol/limits.js";
import type { ControllerMembership, ListedBroker } from "../protocol/results.js";
import { nodeId, type NodeId } from "../raft/types.js";
import type { KnownBroker } from "./broker-registry.js";
import type { Controller } from "./controller.js";
import type { ControllerVoters } from "./controller-voters.js";
import type { RegisteredBroker } from "./metadata.js";

/** What BrokerAdmin needs from its broker (structural: no import of broker.ts). */
export interface BrokerAdminHost {
  readonly controller: () => Controller;
  /** Configured ∪ registered brokers (broker-registry.ts). */
  readonly knownBrokers: () => readonly KnownBroker[];
  /** Whether this broker has a working peer link to `id` (itself: true). */
  readonly reachable: (id: NodeId) => boolean;
  /** A broker's client URL. */
  readonly clientUrl: (b: RegisteredBroker) => string;
  /** The controller group's membership: read and changed. */
  readonly controllerVoters: Pick<ControllerVoters, "membership" | "alter">;
}

/** See the file comment. */
export class BrokerAdmin {
  constructor(private readonly host: BrokerAdminHost) {}

  /** Every known broker with its state, and the controller membership (controller leader only). */
  listBrokers(): { brokers: ListedBroker[]; controller: ControllerMembership } {
    this.host.controller().requireLeader();
    const controller = this.host.controllerVoters.membership();
    return { brokers: this.host.knownBrokers().map((b) => this.listed(b, controller)), controller };
  }

  /** The controller group's committed membership as this broker holds it (any broker). */
  controllerMembership(): ControllerMembership {
    return this.host.controllerVoters.membership();
  }

  /** Register a broker (Controller.registerBroker); resolves with it as listed. */
  async registerBroker(b: RegisteredBroker): Promise<ListedBroker> {
    const registered = await this.host.controller().registerBroker(b);
    return this.listed({ ...registered, source: "registered" }, this.host.controllerVoters.membership());
  }

  /** Unregister a broker (Controller.unregisterBroker); a controller voter or learner-to-be is refused there. */
  async unregisterBroker(id: NodeId): Promise<void> {
    await this.host.controller().unregisterBroker(id, this.host.controllerVoters.membership().voters.map(nodeId));
  }

  /**
   * Change the controller voters (controller leader only): the list is
   * checked (checkVoters), then changed by joint consensus; resolves once
   * the new voters alone decide.
   */
  async alterControllerVoters(voters: readonly NodeId[]): Promise<ControllerMembership> {
    this.host.controller().requireLeader();
    this.checkVoters(voters);
    return this.host.controllerVoters.alter(voters);
  }

  /**
   * Check a new voter list against the brokers known and live here, or throw
   * INVALID_CONTROLLER_VOTERS naming what is wrong.
   */
  checkVoters(voters: readonly NodeId[]): void {
    if (voters.length === 0) throw new RlogError("INVALID_CONTROLLER_VOTERS", "the controller needs at least one voter", { field: "voters" });
    if (voters.length > CONTROLLER_VOTERS_MAX) throw new RlogError("INVALID_CONTROLLER_VOTERS", `at most ${CONTROLLER_VOTERS_MAX} controller voters, got ${voters.length}`, { field: "voters" });
    const dup = voters.find((v, i) => voters.indexOf(v) !== i);
    if (dup !== undefined) throw new RlogError("INVALID_CONTROLLER_VOTERS", `broker ${dup} is named twice`, { field: "voters" });
    const known = new Set(this.host.knownBrokers().map((b) => b.id));
    const unknown = voters.filter((v) => !known.has(v));
    if (unknown.length > 0) {
      throw new RlogError("INVALID_CONTROLLER_VOTERS", `broker ${unknown.join(", ")} is not a broker of the cluster (known: ${[...known].join(", ")}); register it first`, { field: "voters" });
    }
    const down = voters.filter((v) => !this.host.reachable(v));
    if (down.length > 0) {
      throw new RlogError("INVALID_CONTROLLER_VOTERS", `broker ${down.join(", ")} is not live (the controller has no link to it): start it, or name live brokers only`, { field: "voters" });
    }
  }

  private listed(b: KnownBroker, controller: ControllerMembership): ListedBroker {
    const role = controller.voters.includes(b.id) ? "voter" : controller.learners.includes(b.id) ? "learner" : "none";
    return {
      brokerId: b.id,
      host: b.host,
      clientPort: b.clientPort,
      peerPort: b.peerPort,
      ...(b.kafkaPort === undefined ? {} : { kafkaPort: b.kafkaPort }),
      clientUrl: this.host.clientUrl(b),
      source: b.source,
      live: this.host.reachable(b.id),
      controllerRole: role,
      replicas: this.host.controller().metadata.replicaCount(b.id),
    };
  }
}
