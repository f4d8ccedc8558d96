/**
 * The Kafka-protocol listener (docs/KAFKA.md): a TCP (or, with `tls` on,
 * TLS) server on kafkaPort speaking Kafka's binary protocol, so Kafka
 * clients (kafkajs, librdkafka, kcat) use the same cluster as rlog's SDK.
 * Each connection is a KafkaConnection; each request runs through rlog's
 * own operation handlers after the same authorization check as on the
 * WebSocket listener, so one set of topics, offsets, groups and ACLs serves
 * both protocols.
 *
 * Bounds: at most kafka.connectionsMax connections (one past it is closed
 * at once) and the per-connection bounds of kafka-connection.ts. Responses
 * are held against a ResponseBudget of the same limits as the WebSocket
 * listener's (its own: each listener may hold brokerResponseBytesMax).
 *
 * With TLS, client certificates follow tls.clientAuth as on the client
 * listener; a verified certificate's CN is the connection's principal when
 * SASL is not required.
 */
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import type { Logger } from "pino";
import type { KafkaListenerSettings } from "../../config/broker-config.js";
import { RlogError } from "../protocol/errors.js";
import { FieldReader } from "../protocol/field-reader.js";
import { validateRequestBody } from "../protocol/validate-request.js";
import type { Request, ResultOf } from "../protocol/ops.js";
import { certificatePrincipal } from "../server/client-server.js";
import type { OpHandlers, RequestContext } from "../server/handlers.js";
import { ResponseBudget, type ResponseBudgetLimits } from "../server/response-budget.js";
import type { RequestAuthorize } from "../server/server-options.js";
import { clientListenerTlsOptions, type TlsMaterial } from "../transport/tls-files.js";
import { kafkaApis } from "./api-table.js";
import type { HandlerRequest, KafkaApi, KafkaClusterView } from "./kafka-api.js";
import { KafkaConnection, type RequestHolder } from "./kafka-connection.js";
import type { ScramCredential } from "../protocol/scram-limits.js";

/** TCP keep-alive probe delay on Kafka client sockets. */
const KEEP_ALIVE_DELAY_MS = 30_000;

/** What the listener needs from its broker. */
export interface KafkaServerOptions {
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  readonly settings: KafkaListenerSettings;
  readonly budgetLimits: ResponseBudgetLimits;
  /** rlog's operation handlers (the WebSocket listener's). */
  readonly handlers: OpHandlers;
  readonly authorize: RequestAuthorize;
  readonly cluster: KafkaClusterView;
  readonly authentication: {
    readonly mechanism: "none" | "scram";
    readonly failureDelayMs: number;
    readonly lookupUser: (name: string) => ScramCredential | undefined;
    /** The WebSocket listener's fake-salt key (ClientServer.fakeSaltKey). */
    readonly fakeSaltKey: Uint8Array;
  };
  /** TLS on: the client listener's certificate and client-certificate mode. */
  readonly tls?: TlsMaterial;
  /** Bound on a TLS handshake. */
  readonly handshakeWaitMs: number;
  readonly logger: Logger;
}

/** See the file comment. */
export class KafkaServer {
  private server: Server | undefined;
  private readonly connections = new Set<KafkaConnection>();
  private readonly apis: ReadonlyMap<number, KafkaApi>;
  private readonly budget: ResponseBudget;
  private readonly log: Logger;
  private nextConnectionId = 1;
  /** Requests answered since start, by API name (a bounded set: the API table). */
  private readonly requestsByApi: Record<string, number> = {};

  constructor(private readonly options: KafkaServerOptions) {
    this.apis = new Map(kafkaApis().map((a) => [a.key, a]));
    this.budget = new ResponseBudget(options.budgetLimits);
    this.log = options.logger;
  }

  /** Bind; resolves to the bound port. */
  async start(): Promise<{ port: number }> {
    const { tls, handshakeWaitMs } = this.options;
    const server =
      tls === undefined
        ? createServer((socket) => this.accept(socket))
        : createTlsServer(clientListenerTlsOptions(tls, handshakeWaitMs), (socket) => this.accept(socket));
    server.on("tlsClientError", (err: Error) => this.log.debug({ err: err.message }, "kafka TLS handshake failed"));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    server.on("error", (err) => this.log.error({ err }, "kafka listener error"));
    const port = (server.address() as AddressInfo).port;
    this.log.info({ host: this.options.host, port, tls: tls !== undefined }, "kafka listener started");
    return { port };
  }

  /** Stop accepting, close every connection. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const c of this.connections) c.close();
    this.budget.stop();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Open connections and requests handled since start by API name (for metrics). */
  stats(): { readonly connections: number; readonly requestsByApi: Readonly<Record<string, number>> } {
    return { connections: this.connections.size, requestsByApi: this.requestsByApi };
  }

  private accept(socket: Socket): void {
    const { settings, tls } = this.options;
    const connectionId = this.nextConnectionId++;
    const log = this.log.child({ connectionId, remote: `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? 0}` });
    if (this.connections.size >= settings.connectionsMax || this.server === undefined) {
      log.warn({ connectionsMax: settings.connectionsMax }, "kafka connection refused: connectionsMax reached");
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
    let certificate: string | undefined;
    if (tls !== undefined) {
      const check = certificatePrincipal(socket as TLSSocket);
      if (check.refusal !== undefined) {
        log.info({ reason: check.refusal }, "kafka connection refused");
        socket.destroy();
        return;
      }
      certificate = check.principal;
    }
    const required = this.options.authentication.mechanism === "scram";
    const connection: KafkaConnection = new KafkaConnection({
      connectionId,
      socket,
      log,
      settings,
      apis: this.apis,
      cluster: this.options.cluster,
      auth: {
        required,
        tls: tls !== undefined,
        mechanism: undefined,
        exchange: undefined,
        principal: required ? undefined : (certificate ?? "User:ANONYMOUS"),
        lookupUser: this.options.authentication.lookupUser,
        failureDelayMs: this.options.authentication.failureDelayMs,
        fakeSaltKey: this.options.authentication.fakeSaltKey,
      },
      call: (request, principal, signal, holder, clientId) => this.call(request, principal, signal, holder, connectionId, clientId),
      authorize: (request, principal) => {
        const refusal = this.options.authorize(principal, request as Request);
        if (refusal !== undefined) throw refusal;
      },
      budget: (onStalled) => this.budget.connection(onStalled),
      onClosed: () => this.connections.delete(connection),
      onRequest: (api) => {
        this.requestsByApi[api] = (this.requestsByApi[api] ?? 0) + 1;
      },
    });
    this.connections.add(connection);
    log.debug("kafka connection opened");
  }

  /** Authorize as the WebSocket listener does, then run the op's handler. */
  private async call<R extends HandlerRequest>(built: R, principal: string, signal: AbortSignal, holder: RequestHolder, connectionId: number, clientId: string): Promise<ResultOf<R["op"]>> {
    // The same checks as a WebSocket request gets (names, ranges, the broker's limits), whatever an API parsed.
    const request = validateRequestBody(built.op, FieldReader.of({ ...built }, ""), this.options.cluster.limits) as R;
    const refusal = this.options.authorize(principal, request as Request);
    if (refusal !== undefined) throw refusal;
    const handler = this.options.handlers[request.op] as ((r: R, c: RequestContext) => Promise<ResultOf<R["op"]>>) | undefined;
    if (handler === undefined) throw new RlogError("UNKNOWN_OPERATION", `${request.op} is not supported by this broker`);
    const ctx: RequestContext = {
      connectionId,
      clientId,
      signal,
      principal,
      reserveResponseBytes: (bytes: number, waitMs: number) => holder.budget.reserve(bytes, waitMs, holder, signal),
    };
    return handler.call(this.options.handlers, request, ctx);
  }
}
