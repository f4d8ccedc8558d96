/**
 * The Kafka listener's connection handling over a real TCP socket, with
 * stub rlog handlers: pipelined requests are answered in request order even
 * when an earlier one is slower; an unknown API key gets UNSUPPORTED_VERSION
 * and a close; an ApiVersions of a newer version gets the v0 fallback and
 * the connection stays open; an oversized size prefix and an unparsable
 * header close the connection; with SASL required, anything but ApiVersions
 * and the SASL APIs closes it; Metadata names this broker as the controller
 * while none is known.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { pino } from "pino";
import { DEFAULT_LIMITS } from "../../broker/protocol/limits.js";
import { KafkaServer } from "../../broker/kafka/kafka-server.js";
import { KafkaReader } from "../../broker/kafka/kafka-reader.js";
import { KafkaWriter } from "../../broker/kafka/kafka-writer.js";
import { KafkaError } from "../../broker/kafka/kafka-errors.js";
import { ApiKey } from "../../broker/kafka/api-keys.js";
import type { OpHandlers } from "../../broker/server/handlers.js";
import type { MetadataResult } from "../../broker/protocol/results.js";

const SETTINGS = { connectionsMax: 8, requestBytesMax: 64 * 1024, inflightRequestsMax: 16, idleMs: 60_000 };

/** A metadata handler that answers topic "slow" after `slowMs` and anything else at once. */
function handlers(slowMs: number): OpHandlers {
  return {
    metadata: async (req): Promise<MetadataResult> => {
      if (req.topics?.includes("slow")) await new Promise((r) => setTimeout(r, slowMs));
      // Topic "no-controller": as while no controller leader is known.
      return { brokers: [], controllerId: req.topics?.includes("no-controller") ? 0 : 2, topics: (req.topics ?? []).map((name) => ({ name, internal: false, partitions: [{ partition: 0, leader: 1, replicas: [1], term: 3 }] })) };
    },
  };
}

async function startServer(mechanism: "none" | "scram" = "none"): Promise<{ server: KafkaServer; port: number }> {
  const server = new KafkaServer({
    host: "127.0.0.1",
    port: 0,
    settings: SETTINGS,
    budgetLimits: DEFAULT_LIMITS,
    handlers: handlers(300),
    authorize: () => undefined,
    cluster: {
      brokerId: 1,
      clusterId: () => "test-cluster",
      kafkaBrokers: () => [{ id: 1, host: "127.0.0.1", port: 1 }],
      limits: DEFAULT_LIMITS,
      topicDefaults: { partitions: 1, replicationFactor: 1, config: () => ({ retentionBytes: -1, retentionMs: -1, segmentBytes: 1 << 20, segmentMs: 60_000, compression: "producer" }) },
    },
    authentication: { mechanism, failureDelayMs: 10, lookupUser: () => undefined, fakeSaltKey: new Uint8Array(32) },
    handshakeWaitMs: 1000,
    logger: pino({ level: "silent" }),
  });
  const { port } = await server.start();
  return { server, port };
}

/** A framed request: header v1 (no tagged fields) and `body`. */
function request(apiKey: number, version: number, correlationId: number, body: (w: KafkaWriter) => void = () => undefined): Buffer {
  const w = new KafkaWriter().int16(apiKey).int16(version).int32(correlationId).nullableString("conn-test");
  body(w);
  const payload = Buffer.concat(w.finish());
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.byteLength);
  return Buffer.concat([size, payload]);
}

/** Collects whole responses (size-prefixed frames) from a socket, and whether it closed. */
class Responses {
  private buffered = Buffer.alloc(0);
  readonly frames: Buffer[] = [];
  closed = false;
  private waiters: (() => void)[] = [];
  constructor(readonly socket: Socket) {
    socket.on("data", (d: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, d]);
      while (this.buffered.byteLength >= 4 && this.buffered.byteLength >= 4 + this.buffered.readInt32BE(0)) {
        const n = this.buffered.readInt32BE(0);
        this.frames.push(this.buffered.subarray(4, 4 + n));
        this.buffered = this.buffered.subarray(4 + n);
      }
      this.wake();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => undefined);
  }
  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
  async until(check: () => boolean, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!check()) {
      if (Date.now() > deadline) throw new Error("timed out waiting on the socket");
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
}

async function open(port: number): Promise<Responses> {
  const socket = connect(port, "127.0.0.1");
  await new Promise<void>((r, j) => socket.once("connect", r).once("error", j));
  return new Responses(socket);
}

const metadataV1 = (topics: string[]) => (w: KafkaWriter) => w.array(topics, (x, t) => x.string(t));

test("pipelined requests are answered in request order, a slow one holding back the fast ones behind it", async () => {
  const { server, port } = await startServer();
  const c = await open(port);
  try {
    c.socket.write(Buffer.concat([request(ApiKey.Metadata, 1, 7, metadataV1(["slow"])), request(ApiKey.Metadata, 1, 8, metadataV1(["fast"])), request(ApiKey.ApiVersions, 2, 9)]));
    await c.until(() => c.frames.length === 3);
    assert.deepEqual(c.frames.map((f) => f.readInt32BE(0)), [7, 8, 9]);
    // The first is a Metadata v1 body naming the slow topic with its leader.
    const r = new KafkaReader(c.frames[0]!, 4);
    const brokers = r.array((x) => [x.int32(), x.string(), x.int32(), x.nullableString()]);
    assert.deepEqual(brokers, [[1, "127.0.0.1", 1, null]]);
    assert.equal(r.int32(), 2, "controller id");
    const topics = r.array((x) => ({ error: x.int16(), name: x.string(), internal: x.bool(), partitions: x.array((y) => [y.int16(), y.int32(), y.int32(), y.array((z) => z.int32()), y.array((z) => z.int32())]) }));
    assert.deepEqual(topics, [{ error: 0, name: "slow", internal: false, partitions: [[0, 0, 1, [1], [1]]] }]);
    r.end();
    assert.equal(c.closed, false);
  } finally {
    c.socket.destroy();
    await server.close();
  }
});

test("while no controller leader is known, Metadata names this broker as the controller", async () => {
  const { server, port } = await startServer();
  const c = await open(port);
  try {
    c.socket.write(request(ApiKey.Metadata, 1, 1, metadataV1(["no-controller"])));
    await c.until(() => c.frames.length === 1);
    const r = new KafkaReader(c.frames[0]!, 4);
    r.array((x) => [x.int32(), x.string(), x.int32(), x.nullableString()]);
    assert.equal(r.int32(), 1, "this broker (id 1) is named, not -1");
  } finally {
    c.socket.destroy();
    await server.close();
  }
});

test("an unknown API key gets UNSUPPORTED_VERSION and a close; a newer ApiVersions gets the v0 fallback on an open connection", async () => {
  const { server, port } = await startServer();
  try {
    const a = await open(port);
    a.socket.write(request(ApiKey.ApiVersions, 99, 1));
    await a.until(() => a.frames.length === 1);
    const r = new KafkaReader(a.frames[0]!, 4);
    assert.equal(r.int16(), KafkaError.UNSUPPORTED_VERSION);
    const keys = r.array((x) => [x.int16(), x.int16(), x.int16()]);
    assert.ok(keys.some(([k, min, max]) => k === ApiKey.ApiVersions && min === 0 && max! >= 3), "the version table lists ApiVersions");
    r.end();
    a.socket.write(request(ApiKey.ApiVersions, 0, 2));
    await a.until(() => a.frames.length === 2);
    assert.equal(a.frames[1]!.readInt32BE(0), 2);
    assert.equal(a.closed, false);
    a.socket.destroy();

    const b = await open(port);
    b.socket.write(request(4242, 0, 5));
    await b.until(() => b.closed);
    assert.equal(b.frames.length, 1);
    assert.equal(b.frames[0]!.readInt32BE(0), 5);
    assert.equal(b.frames[0]!.readInt16BE(4), KafkaError.UNSUPPORTED_VERSION);
  } finally {
    await server.close();
  }
});

test("an oversized or negative size prefix, or an unparsable header, closes the connection without an answer", async () => {
  const { server, port } = await startServer();
  try {
    for (const bytes of [Buffer.from([0x7f, 0xff, 0xff, 0xff]), Buffer.from([0xff, 0xff, 0xff, 0xfe]), Buffer.from([0, 0, 0, 12, 0, 3, 0, 1, 0, 0, 0, 1, 0x7f, 0x00, 0, 0])]) {
      const c = await open(port);
      c.socket.write(bytes);
      await c.until(() => c.closed);
      assert.equal(c.frames.length, 0);
    }
    // The listener still serves.
    const ok = await open(port);
    ok.socket.write(request(ApiKey.ApiVersions, 1, 3));
    await ok.until(() => ok.frames.length === 1);
    ok.socket.destroy();
  } finally {
    await server.close();
  }
});

test("with SASL required, ApiVersions is answered and anything else before login closes the connection", async () => {
  const { server, port } = await startServer("scram");
  try {
    const c = await open(port);
    c.socket.write(request(ApiKey.ApiVersions, 2, 1));
    await c.until(() => c.frames.length === 1);
    c.socket.write(request(ApiKey.Metadata, 1, 2, metadataV1(["fast"])));
    await c.until(() => c.closed);
    assert.equal(c.frames.length, 1);
  } finally {
    await server.close();
  }
});
