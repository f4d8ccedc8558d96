/**
 * Drive a Kafka API (broker/kafka/apis/) without sockets: kafkajs's own
 * request encoder writes the body, the API answers against a fake
 * KafkaApiContext whose rlog ops the test supplies, and kafkajs's own
 * response decoder reads the answer. kafkajs's protocol modules are loaded
 * by path: not its public API, but its wire code, so a field out of order
 * on either side fails here.
 */
import { createRequire } from "node:module";
import { pino } from "pino";
import type { HandlerRequest, KafkaApi, KafkaApiContext } from "../../broker/kafka/kafka-api.js";
import { KafkaReader } from "../../broker/kafka/kafka-reader.js";
import type { ResultOf } from "../../broker/protocol/ops.js";
import { DEFAULT_LIMITS } from "../../broker/protocol/limits.js";

const require = createRequire(import.meta.url);

interface KafkajsRequest {
  readonly apiKey: number;
  readonly apiVersion: number;
  encode(): Promise<{ readonly buffer: Buffer }>;
}

/** An rlog op as the fake context runs it. */
export type FakeOp = (request: HandlerRequest, signal: AbortSignal) => Promise<unknown>;

/** A fake context and what the API did with it. */
export interface FakeContext {
  readonly ctx: KafkaApiContext;
  /** Every rlog request the API ran, in order. */
  readonly calls: HandlerRequest[];
  /** Every keepReserved argument, in order. */
  readonly kept: number[];
}

/** A context whose ops are `ops` by op name (an op not given throws). */
export function fakeContext(ops: Partial<Record<HandlerRequest["op"], FakeOp>>, brokers = [{ id: 1, host: "127.0.0.1", port: 19092 }]): FakeContext {
  const calls: HandlerRequest[] = [];
  const kept: number[] = [];
  const connection = new AbortController();
  // Built loose and cast: fields other listeners' APIs add to the context stay harmless here.
  const ctx = {
    header: { apiKey: 0, apiVersion: 0, correlationId: 1, clientId: "test" },
    connectionId: 1,
    signal: connection.signal,
    cluster: { brokerId: 1, clusterId: () => "test-cluster", kafkaBrokers: () => brokers, limits: DEFAULT_LIMITS },
    auth: { required: false, tls: false, mechanism: undefined, exchange: undefined, principal: "User:ANONYMOUS", lookupUser: () => undefined, failureDelayMs: 0 },
    log: pino({ level: "silent" }),
    call: <R extends HandlerRequest>(request: R, signal?: AbortSignal): Promise<ResultOf<R["op"]>> => {
      calls.push(request);
      const op = ops[request.op];
      if (op === undefined) return Promise.reject(new Error(`no fake for op ${request.op}`));
      return op(request, signal ?? connection.signal) as Promise<ResultOf<R["op"]>>;
    },
    keepReserved: (bytes: number) => kept.push(bytes),
    authorize: () => undefined,
    closeAfterResponse: () => undefined,
  } as unknown as KafkaApiContext;
  return { ctx, calls, kept };
}

/** kafkajs's request module for `api` ("fetch", "joinGroup") version `version`, applied to `args`. */
export function kafkajsRequest(api: string, version: number, args: object): KafkajsRequest {
  const make = require(`kafkajs/src/protocol/requests/${api}/v${version}/request`) as (a: object) => KafkajsRequest;
  return make(args);
}

/** kafkajs's response decoder for `api` version `version`. */
export function kafkajsDecode<T = Record<string, unknown>>(api: string, version: number, body: Uint8Array): Promise<T> {
  const { decode } = require(`kafkajs/src/protocol/requests/${api}/v${version}/response`) as { decode: (b: Buffer) => Promise<T> };
  return decode(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
}

/** Encode with kafkajs, answer with `kafkaApi`, decode with kafkajs. */
export async function roundTrip<T = Record<string, unknown>>(kafkaApi: KafkaApi, api: string, version: number, args: object, ctx: KafkaApiContext): Promise<T> {
  const body = (await kafkajsRequest(api, version, args).encode()).buffer;
  const w = await kafkaApi.handle(version, new KafkaReader(new Uint8Array(body.buffer, body.byteOffset, body.byteLength)), ctx);
  if (w === null) throw new Error(`${kafkaApi.name} answered nothing`);
  return kafkajsDecode<T>(api, version, Buffer.concat(w.finish()));
}
