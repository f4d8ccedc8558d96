/**
 * Whether this broker's data directory may vote: the broker-level half of
 * "a broker that lost its disk must not vote with a vote it has forgotten"
 * (issue 12; the argument is in docs/STORAGE.md, "A lost disk").
 *
 * The data directory carries an identity record (broker/storage/broker-identity.ts):
 * cluster id, broker id, a random incarnation and a state. At start:
 *
 * - a record in state member: the groups open normally;
 * - a record in state recovering: a recovery was under way (a crash in the
 *   middle restarts it): every group opens recovering (RaftConfig.recovering)
 *   with the record's incarnation;
 * - no record and no logs (a new or wiped directory): the broker asks its
 *   peers, through the hello exchange, what their directories are, and waits.
 *   A peer that names a cluster id, or that is itself recovering, means the
 *   cluster exists: this directory is a lost disk (or a new broker joining
 *   an existing cluster), so it starts recovering, and says so in one line.
 *   A majority of the controller voters (counting itself) without a cluster
 *   id (new, or members of a cluster not yet named) means a new cluster:
 *   it starts as a member.
 * - no record but logs: data from before identity records existed; taken
 *   as this broker's own (member).
 *
 * The cluster id comes from the controller: its leader commits InitCluster
 * with a random id ahead of any other metadata (controller.ts), and every
 * broker copies the applied id into its record. A broker whose recorded id
 * differs from a peer's refuses to start; the peer listener refuses hellos
 * from another cluster's brokers.
 *
 * While recovering, a watcher checks the groups: once the controller and
 * every partition replica this broker hosts have caught up (the core left
 * recovering: it holds a committed marker of its leader, see broker/raft/core.ts),
 * the record becomes member and later-opened groups vote from the start.
 */
import { randomInt, randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { RaftConfig } from "../raft/config.js";
import { quorumSize } from "../raft/quorum.js";
import type { NodeId } from "../raft/types.js";
import { IDENTITY_STATE_NAMES, IdentityState, type BrokerIdentity } from "../storage/broker-identity.js";
import type { LogStore } from "../storage/log-store.js";
import type { HelloIdentity, PeerIdentityHooks } from "../transport/peer-identity.js";
import type { Controller } from "./controller.js";
import type { TopicMeta } from "./metadata.js";

/** How often a new directory re-evaluates what its peers said, and the watcher runs. */
export const IDENTITY_CHECK_INTERVAL_MS = 100;
/**
 * Once a majority of controller voters said "no cluster id", how long a new
 * directory still listens for a peer that names one (which means recovering)
 * before it starts a new cluster. Peers answer hellos within milliseconds.
 */
export const FRESH_DECISION_GRACE_MS = 500;
/** How long a directory with a recorded cluster id waits for a first peer's answer (to refuse another cluster's) before it starts. */
export const CLUSTER_CHECK_WAIT_MS = 1_000;

/** What the watcher needs from the broker (kept structural: no import of broker.ts). */
export interface IdentityWatchTarget {
  controller(): Controller | undefined;
  /** The topics whose replicas include this broker, and the runner of each replica opened here. */
  hosted(): readonly { readonly topic: TopicMeta; readonly partition: number; readonly recovering: boolean | undefined }[];
}

export interface DiskIdentityOptions {
  readonly store: LogStore;
  readonly brokerId: NodeId;
  readonly controllerVoters: readonly NodeId[];
  /** Every other broker of the cluster. */
  readonly peers: readonly NodeId[];
  readonly logger: Logger;
  readonly clock?: () => number;
}

/** See the file comment. */
export class DiskIdentity implements PeerIdentityHooks {
  private record: BrokerIdentity | undefined;
  /** What each peer last said about itself (undefined: an older broker that says nothing). */
  private readonly peerIdentities = new Map<NodeId, HelloIdentity | undefined>();
  private watchTimer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private closed = false;
  private readonly log: Logger;
  private readonly clock: () => number;
  /** The first peer that refused our hello as another cluster's broker. */
  private otherCluster: { readonly peer: NodeId; readonly message: string } | undefined;
  /** Single-voter groups opened on a lost disk (the first is logged). */
  private loneRecovering = 0;

  private constructor(private readonly opts: DiskIdentityOptions) {
    this.log = opts.logger.child({ component: "identity" });
    this.clock = opts.clock ?? Date.now;
  }

  /**
   * Read the record. Throws when it names another broker id (the wrong data
   * directory). A directory with logs but no record predates identity records
   * and is recorded as this broker's, a member.
   */
  static async load(opts: DiskIdentityOptions): Promise<DiskIdentity> {
    const d = new DiskIdentity(opts);
    const rec = opts.store.readIdentity();
    if (rec && rec.brokerId !== opts.brokerId) {
      throw new Error(`data directory belongs to broker ${rec.brokerId}, not ${opts.brokerId}: refusing to start (wrong dataDir or brokerId)`);
    }
    if (!rec && opts.store.listLogs().length > 0) {
      await d.write({ clusterId: "", brokerId: opts.brokerId, incarnation: newIncarnation(), state: IdentityState.Member, createdMs: d.clock() });
      d.log.info({ incarnation: d.record!.incarnation }, "data directory predates identity records: recorded as this broker's (member)");
    } else {
      d.record = rec;
    }
    return d;
  }

  /** The recorded state, or New while a new directory decides. */
  state(): IdentityState {
    return this.record?.state ?? IdentityState.New;
  }
  /** The recorded cluster id ("" while unknown). */
  clusterId(): string {
    return this.record?.clusterId ?? "";
  }

  // ------------------------------------------------------------ PeerIdentityHooks

  local(): HelloIdentity {
    return { clusterId: this.clusterId(), state: this.state() };
  }

  onPeer(peer: NodeId, identity: HelloIdentity | undefined): void {
    this.peerIdentities.set(peer, identity);
  }

  onOtherCluster(peer: NodeId, message: string): void {
    this.otherCluster ??= { peer, message };
  }

  // ------------------------------------------------------------ start-up

  /**
   * Resolve before any Raft group opens: decide what a new directory is, and
   * refuse to start next to another cluster's brokers. Needs the peer
   * transport running (the hellos carry the answers).
   * @throws Error when a peer's cluster id differs from the recorded one
   */
  async settle(): Promise<void> {
    if (this.record === undefined) {
      await this.decideNew();
    } else if (this.record.clusterId !== "" && this.opts.peers.length > 0) {
      // Listen briefly for the first peer's answer (within milliseconds when one is up): another cluster's is refused.
      const deadline = this.clock() + CLUSTER_CHECK_WAIT_MS;
      while (!this.closed && this.clock() < deadline && this.peerIdentities.size === 0 && !this.otherCluster) await sleep(IDENTITY_CHECK_INTERVAL_MS);
    }
    this.checkSameCluster();
    const r = this.record!;
    this.log.info({ state: IDENTITY_STATE_NAMES[r.state], clusterId: r.clusterId || undefined, incarnation: r.incarnation }, "data directory identity");
  }

  /** A new directory: wait until the peers tell whether the cluster exists (see the file comment). */
  private async decideNew(): Promise<void> {
    const { brokerId, controllerVoters, peers } = this.opts;
    const quorum = quorumSize(controllerVoters.length);
    let freshSince: number | undefined;
    for (;;) {
      if (this.closed) throw new Error("stopped while deciding what the new data directory is");
      const existing = [...this.peerIdentities].find(([, id]) => id !== undefined && (id.clusterId !== "" || id.state === IdentityState.Recovering));
      if (existing) {
        const [peer, id] = existing as [NodeId, HelloIdentity];
        await this.write({ clusterId: id.clusterId, brokerId, incarnation: newIncarnation(), state: IdentityState.Recovering, createdMs: this.clock() });
        this.log.warn(
          { peer, clusterId: id.clusterId || undefined, peerState: IDENTITY_STATE_NAMES[id.state as IdentityState] ?? id.state, incarnation: this.record!.incarnation },
          "data directory is new but the cluster exists: not voting until caught up",
        );
        return;
      }
      // Controller voters without a cluster id: new ones, or members of a cluster not yet named.
      let unnamed = controllerVoters.includes(brokerId) ? 1 : 0;
      for (const v of controllerVoters) {
        const id = this.peerIdentities.get(v);
        if (v !== brokerId && id !== undefined && id.clusterId === "" && id.state !== IdentityState.Recovering) unnamed++;
      }
      if (unnamed >= quorum) {
        freshSince ??= this.clock();
        const heardAll = peers.every((p) => this.peerIdentities.has(p));
        if (heardAll || this.clock() - freshSince >= FRESH_DECISION_GRACE_MS) {
          await this.write({ clusterId: "", brokerId, incarnation: newIncarnation(), state: IdentityState.Member, createdMs: this.clock() });
          const lone = controllerVoters.length === 1;
          this.log[lone ? "warn" : "info"](
            { controllerVoters: controllerVoters.length, unnamed, incarnation: this.record!.incarnation },
            lone
              ? "data directory is new and this broker is the only controller voter: starting a new cluster (if this directory was lost, its data is gone)"
              : "data directory is new and so is the cluster: starting as a member",
          );
          return;
        }
      }
      await sleep(IDENTITY_CHECK_INTERVAL_MS);
    }
  }

  /** Refuse to run next to a peer whose data belongs to another cluster. */
  private checkSameCluster(): void {
    const mine = this.clusterId();
    if (mine === "") return;
    if (this.otherCluster) {
      throw new Error(`peer broker ${this.otherCluster.peer} refused this broker as another cluster's (${this.otherCluster.message}): refusing to start (wrong dataDir, or peers of another cluster)`);
    }
    for (const [peer, id] of this.peerIdentities) {
      if (id !== undefined && id.clusterId !== "" && id.clusterId !== mine) {
        throw new Error(`data directory belongs to cluster ${mine} but peer broker ${peer} is in cluster ${id.clusterId}: refusing to start (wrong dataDir, or peers of another cluster)`);
      }
    }
  }

  // ------------------------------------------------------------ groups

  /**
   * The RaftConfig field for a group opened now: recovering while the
   * directory is. (The core ignores it in groups of at most two voters, where
   * every quorum is all of them; with this broker the only voter, the data is
   * simply gone, which is logged once.)
   */
  raftOptions(voters: readonly NodeId[]): Pick<RaftConfig, "recovering"> | Record<string, never> {
    const r = this.record;
    if (!r || r.state !== IdentityState.Recovering) return {};
    if (voters.length === 1 && this.loneRecovering++ === 0) {
      this.log.warn({}, "a group whose only replica is this broker opened on a lost disk: its data is gone");
    }
    return { recovering: { incarnation: r.incarnation } };
  }

  /**
   * While recovering: copy the cluster id the controller applied, name the
   * cluster when this broker leads a controller without one, and record
   * member once every hosted group has caught up. Idempotent. Once the
   * cluster id is recorded and this broker is a member there is nothing left
   * to watch, and the timer stops (an idle broker wakes for nothing).
   */
  watch(target: IdentityWatchTarget): void {
    if (this.watchTimer !== undefined || this.closed) return;
    this.watchTimer = setInterval(() => {
      if (this.writing !== undefined || this.closed) return;
      this.writing = this.check(target)
        .then((settled) => {
          if (settled) clearInterval(this.watchTimer);
        })
        .catch((err: unknown) => this.log.error({ err }, "data directory identity check failed; retrying"))
        .finally(() => {
          this.writing = undefined;
        });
    }, IDENTITY_CHECK_INTERVAL_MS);
    this.watchTimer.unref();
  }

  /** One pass of watch(); true once there is nothing left to watch (cluster id recorded, a member). */
  private async check(target: IdentityWatchTarget): Promise<boolean> {
    const controller = target.controller();
    const r = this.record;
    if (!controller || !r) return false;
    const applied = controller.metadata.clusterId;
    if (applied === undefined) {
      if (controller.isLeader()) await controller.initCluster(randomUUID()).catch(() => undefined); // retried on the next check
      return false;
    }
    if (r.clusterId === "") {
      await this.write({ ...r, clusterId: applied });
      this.log.info({ clusterId: applied }, "cluster id recorded");
    } else if (r.clusterId !== applied) {
      // Only a copied data directory gets here; the hello checks normally refuse it first.
      this.log.error({ clusterId: r.clusterId, applied }, "the controller's cluster id differs from the one recorded in the data directory");
      return true; // reported once: nothing this broker can do about it
    }
    if (this.record!.state !== IdentityState.Recovering) return true;
    if (controller.runner.recovering()) return false;
    // Metadata applied through the controller's commit: every topic that existed when the disk was lost is known.
    if (controller.runner.applied() < controller.runner.status().commit) return false;
    const hosted = target.hosted();
    const waiting = hosted.filter((h) => h.recovering !== false).length;
    if (waiting > 0) return false;
    await this.write({ ...this.record!, state: IdentityState.Member });
    this.log.info({ groups: hosted.length + 1 }, "caught up after a lost disk in every group: this broker votes again");
    return true;
  }

  /** Stop the watcher; an identity write in flight completes. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.watchTimer);
    await this.writing;
  }

  private async write(rec: BrokerIdentity): Promise<void> {
    await this.opts.store.writeIdentity(rec);
    this.record = rec;
  }
}

/** A random incarnation in [1, 2^32 - 1] (fits the wire's u32 and is never 0). */
function newIncarnation(): number {
  return 1 + randomInt(0xffff_fffe);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
