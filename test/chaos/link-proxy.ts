/**
 * A fault-injecting TCP proxy for one direction of one broker pair. Brokers
 * dial their own connection per direction (broker A sends to B only on the
 * connection A dialed), so one proxy per ordered pair lets the nemesis cut
 * A -> B while B -> A still flows: an asymmetric partition.
 *
 * Cut: every connection through the proxy is destroyed at once (what was in
 * flight is lost), and connections made while cut are accepted but never
 * forwarded (the dialer's handshake times out, as when packets vanish).
 * Heal: those hanging connections are destroyed too, so the dialer's next
 * attempt goes through. Bytes are never dropped from the middle of a
 * connection that stays open, so no WebSocket stream is ever corrupted: a
 * message is either delivered intact or its connection is gone.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";

export class LinkProxy {
  private readonly server: Server;
  private readonly open = new Set<Socket>();
  private readonly hanging = new Set<Socket>();
  private isCut = false;
  /** Connections forwarded, and connections held while cut (for the run's report). */
  forwarded = 0;
  held = 0;

  private constructor(
    readonly from: number,
    readonly to: number,
    private readonly targetPort: number,
  ) {
    this.server = createServer((client) => this.accept(client));
  }

  /** A proxy on 127.0.0.1:`port` (0 picks one) forwarding to 127.0.0.1:`targetPort`. */
  static async start(from: number, to: number, targetPort: number, port = 0): Promise<LinkProxy> {
    const proxy = new LinkProxy(from, to, targetPort);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once("error", reject);
      proxy.server.listen(port, "127.0.0.1", () => resolve());
    });
    return proxy;
  }

  get port(): number {
    const addr = this.server.address();
    return typeof addr === "object" && addr !== null ? addr.port : 0;
  }

  get cut(): boolean {
    return this.isCut;
  }

  /** Stop traffic from `from` to `to`; see the file comment. */
  setCut(cut: boolean): void {
    if (cut === this.isCut) return;
    this.isCut = cut;
    const doomed = cut ? this.open : this.hanging;
    for (const s of doomed) s.destroy();
    doomed.clear();
  }

  private accept(client: Socket): void {
    client.on("error", () => undefined);
    if (this.isCut) {
      this.held++;
      client.pause();
      this.hanging.add(client);
      client.once("close", () => this.hanging.delete(client));
      return;
    }
    this.forwarded++;
    const upstream = createConnection({ host: "127.0.0.1", port: this.targetPort });
    upstream.on("error", () => undefined);
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    for (const s of [client, upstream]) {
      this.open.add(s);
      s.once("close", () => {
        this.open.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  async close(): Promise<void> {
    for (const s of [...this.open, ...this.hanging]) s.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
