/**
 * Asks another broker's Kafka listener for a producer id: one InitProducerId
 * v0 request (no transactional id) on a fresh TCP connection, closed after
 * the answer. The InitProducerId API (apis/init-producer-id.ts) uses it
 * when this broker does not lead the controller, which alone hands out
 * producer ids: Kafka clients send InitProducerId to any broker (librdkafka)
 * or to the Metadata controller, which may have moved (kafkajs), and neither
 * follows a NOT_CONTROLLER answer, so the broker they reach does it for
 * them, as rlog's SDK does by following the NOT_CONTROLLER hint.
 *
 * Only over plain TCP and without SASL (the caller checks): the forwarding
 * broker has no credentials of its own on another broker's Kafka listener.
 * Forwarded requests carry FORWARDED_CLIENT_ID, and a broker never forwards
 * a request carrying it again, so a request crosses at most one hop.
 *
 * Bounded: FORWARD_WAIT_MS for the whole exchange, a response of exactly
 * its known size, and the caller's abort signal.
 */
import { connect } from "node:net";
import { ApiKey } from "./api-keys.js";
import { KafkaDecodeError, KafkaReader } from "./kafka-reader.js";
import { KafkaWriter } from "./kafka-writer.js";

/** The client id of a forwarded InitProducerId: its receiver does not forward it again. */
export const FORWARDED_CLIENT_ID = "rlog-broker-forward";

/** Longest wait for the controller's answer (connect, commit of a new id block, answer): a controller commit takes milliseconds. */
export const FORWARD_WAIT_MS = 10_000;

/** Bytes of an InitProducerId v0 response after its size prefix: correlation id, throttle, error code, producer id, epoch. */
const RESPONSE_BYTES = 4 + 4 + 2 + 8 + 2;

/** The correlation id of the one request on a forwarding connection. */
const CORRELATION_ID = 1;

/** What the other broker answered. */
export interface ForwardedProducerId {
  readonly errorCode: number;
  readonly producerId: number;
  readonly producerEpoch: number;
}

/** The InitProducerId v0 request frame (size prefix included). */
export function initProducerIdFrame(transactionTimeoutMs: number): Uint8Array {
  const body = new KafkaWriter().int16(ApiKey.InitProducerId).int16(0).int32(CORRELATION_ID).string(FORWARDED_CLIENT_ID).nullableString(null).int32(transactionTimeoutMs).finish();
  const bytes = body.reduce((n, c) => n + c.byteLength, 0);
  const frame = new Uint8Array(4 + bytes);
  new DataView(frame.buffer).setInt32(0, bytes);
  let at = 4;
  for (const c of body) {
    frame.set(c, at);
    at += c.byteLength;
  }
  return frame;
}

/** Parse an InitProducerId v0 response (size prefix included); throws KafkaDecodeError when it is not one. */
export function parseInitProducerIdResponse(frame: Uint8Array): ForwardedProducerId {
  const r = new KafkaReader(frame);
  const size = r.int32("response size");
  if (size !== RESPONSE_BYTES) throw new KafkaDecodeError(`InitProducerId response of ${size} bytes; expected ${RESPONSE_BYTES}`);
  const correlationId = r.int32("correlation_id");
  if (correlationId !== CORRELATION_ID) throw new KafkaDecodeError(`InitProducerId response for correlation id ${correlationId}; expected ${CORRELATION_ID}`);
  r.int32("throttle_time_ms");
  const errorCode = r.int16("error_code");
  const producerId = r.int64("producer_id");
  const producerEpoch = r.int16("producer_epoch");
  r.end("InitProducerId response");
  return { errorCode, producerId, producerEpoch };
}

/**
 * Send InitProducerId to the Kafka listener at host:port and return its
 * answer. Rejects on a connection failure, a malformed answer, after
 * FORWARD_WAIT_MS, or when `signal` aborts.
 */
export function forwardInitProducerId(host: string, port: number, transactionTimeoutMs: number, signal: AbortSignal): Promise<ForwardedProducerId> {
  return new Promise<ForwardedProducerId>((resolve, reject) => {
    const socket = connect({ host, port });
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const finish = (err: Error | undefined, value?: ForwardedProducerId): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      socket.destroy();
      if (err !== undefined) reject(err);
      else resolve(value!);
    };
    const onAbort = (): void => finish(new Error("the client's connection closed"));
    const timer = setTimeout(() => finish(new Error(`no answer from ${host}:${port} within ${FORWARD_WAIT_MS} ms`)), FORWARD_WAIT_MS);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    socket.setNoDelay(true);
    socket.on("connect", () => socket.write(initProducerIdFrame(transactionTimeoutMs)));
    socket.on("data", (d: Buffer) => {
      chunks.push(d);
      received += d.byteLength;
      if (received > 4 + RESPONSE_BYTES) return finish(new Error(`more than ${4 + RESPONSE_BYTES} bytes from ${host}:${port}`));
      if (received < 4 + RESPONSE_BYTES) return;
      try {
        finish(undefined, parseInitProducerIdResponse(Buffer.concat(chunks)));
      } catch (err) {
        finish(err as Error);
      }
    });
    socket.on("error", (err) => finish(err));
    socket.on("close", () => finish(new Error(`${host}:${port} closed the connection before answering`)));
  });
}
