/**
 * Producer ids for idempotence. Every partition lane starts on the shared
 * id (fetched once, on first use). A lane whose sequence continuity is lost
 * (a stamped batch failed for good, so the broker may or may not hold it)
 * or whose sequence numbers run out switches to a fresh id of its own and
 * starts again at sequence 0: the broker treats an unknown id as new, and
 * no earlier batch can be taken for a duplicate of a later one.
 */
import type { Cluster } from "../cluster/cluster.js";

/** A producer id and epoch. */
export interface ProducerIdentity {
  readonly producerId: number;
  readonly producerEpoch: number;
}

/** Hands out producer ids; see the file comment. */
export class ProducerSessions {
  private sharedId: Promise<ProducerIdentity> | undefined;

  constructor(private readonly cluster: Cluster) {}

  /** The id shared by all lanes (one initProducerId per producer). */
  shared(): Promise<ProducerIdentity> {
    if (this.sharedId === undefined) {
      const p = this.fresh();
      this.sharedId = p;
      p.catch(() => {
        // The caller sees this error; forget the promise so the next lane asks again.
        if (this.sharedId === p) this.sharedId = undefined;
      });
    }
    return this.sharedId;
  }

  /** A new producer id (initProducerId, retried). */
  async fresh(): Promise<ProducerIdentity> {
    const r = await this.cluster.anyRequest<"initProducerId">({ op: "initProducerId" });
    return { producerId: r.producerId, producerEpoch: r.producerEpoch };
  }
}
