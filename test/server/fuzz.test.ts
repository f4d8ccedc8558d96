/**
 * Seeded fuzz of the client listener over real sockets: a few thousand
 * hostile frames (fuzz-frames.ts) on several connections at once against
 * recording fake handlers. Afterwards the server must still serve a fresh
 * connection, have nothing in flight, never have answered INTERNAL_ERROR or
 * logged an error, and its handlers must only ever have received valid,
 * typed requests. RLOG_FUZZ_SEED=<n> replays a run.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode, RlogError } from "../../broker/protocol/errors.js";
import { decodeRequest, encodeRequest } from "../../broker/protocol/frames.js";
import { DEFAULT_LIMITS, type Limits } from "../../broker/protocol/limits.js";
import { OPS, type OpName, type Request } from "../../broker/protocol/ops.js";
import type { OpHandlers, RequestContext } from "../../broker/server/handlers.js";
import { plain } from "../protocol/helpers.js";
import { FuzzFrameGenerator, type FuzzKind } from "./fuzz-frames.js";
import { LEVEL, okResult, startServer, tcpHandles, TestClient, waitFor } from "./helpers.js";

const SEED = Number(process.env["RLOG_FUZZ_SEED"] ?? 20_261_121);
const CONNECTIONS = 6;
const FRAMES_PER_CONNECTION = 600;
/** Most frames sent before each barrier request (a metadata the connection must answer, unless it was closed). */
const BURST_FRAMES_MAX = 6;

const limits: Limits = { ...DEFAULT_LIMITS, frameBytesMax: 64 * 1024, inflightRequestsMax: 64, connectionsMax: 32, arrayLengthMax: 1000, stringLengthMax: 256 };

interface Received {
  readonly handlerOp: OpName;
  readonly request: Request;
}

/** A handler for every op: records the request, answers on the next turn; produce fails retriably now and then. */
function recordingHandlers(received: Received[]): OpHandlers {
  const handlers: Record<string, (request: Request, ctx: RequestContext) => Promise<unknown>> = {};
  for (const op of OPS) {
    if (op === "handshake") continue;
    handlers[op] = async (request) => {
      received.push({ handlerOp: op, request });
      await new Promise((resolve) => setImmediate(resolve));
      if (op === "produce" && received.length % 7 === 0) throw new RlogError("NOT_LEADER", "fuzz", { leader: { brokerId: 2 } });
      return {};
    };
  }
  return handlers as OpHandlers;
}

after(async () => {
  await waitFor(() => tcpHandles() === 0, "all TCP handles closed");
});

test(`fuzz: ${CONNECTIONS * FRAMES_PER_CONNECTION} hostile frames over ${CONNECTIONS} connections (seed ${SEED})`, { timeout: 60_000 }, async (tc) => {
  const received: Received[] = [];
  const t = await startServer({ handlers: recordingHandlers(received), limits });
  tc.after(() => t.server.close());
  const kinds = new Map<FuzzKind, number>();
  const responseCodes = new Map<string, number>();
  let reconnects = 0;
  let barriersAnswered = 0;

  const worker = async (index: number): Promise<void> => {
    const gen = new FuzzFrameGenerator(SEED * 31 + index, { limits });
    let client: TestClient | undefined;
    let barrierId = 0xf000_0000 + index * 0x0100_0000;
    let sent = 0;
    const clients: TestClient[] = [];
    while (sent < FRAMES_PER_CONNECTION) {
      if (client === undefined || client.isClosed) {
        client = await TestClient.open(t.url);
        clients.push(client);
        reconnects++;
      }
      const history: FuzzKind[] = [];
      const burst = 1 + (sent % BURST_FRAMES_MAX);
      for (let i = 0; i < burst && sent < FRAMES_PER_CONNECTION; i++, sent++) {
        const frame = gen.next();
        history.push(frame.kind);
        kinds.set(frame.kind, (kinds.get(frame.kind) ?? 0) + 1);
        client.send(frame.data);
      }
      const id = barrierId++;
      const r = await client.request(id, { op: "metadata" }).catch((err: Error) => {
        if (!client?.isClosed) throw new Error(`seed ${SEED} worker ${index}: barrier ${id} lost on an open connection after ${history.join(",")}: ${err.message}`);
        return undefined;
      });
      if (r !== undefined) {
        barriersAnswered++;
        assert.ok(r.ok || r.error.code === ErrorCode.TOO_MANY_REQUESTS, `barrier answered ${r.ok ? "ok" : r.error.codeName}`);
      }
    }
    await client?.close();
    for (const c of clients) {
      for (const r of c.responses) {
        const name = r.ok ? "ok" : r.error.codeName;
        responseCodes.set(name, (responseCodes.get(name) ?? 0) + 1);
        assert.ok(r.ok || r.error.code !== ErrorCode.INTERNAL_ERROR, `seed ${SEED}: INTERNAL_ERROR response: ${r.ok ? "" : r.error.message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, i) => worker(i)));

  // The server still serves a fresh connection, and nothing is left in flight.
  const fresh = await TestClient.open(t.url);
  okResult(await fresh.request(2, { op: "metadata", topics: ["after-fuzz"] }));
  await fresh.close();
  await waitFor(() => t.server.stats().requestsInflight === 0, "no request in flight");

  // Handlers only ever saw valid, typed requests of their own op.
  assert.ok(received.length > 0);
  for (const { handlerOp, request } of received) {
    assert.equal(request.op, handlerOp);
    assert.notEqual(request.op, "handshake");
    const again = decodeRequest(encodeRequest(1, request, Number.MAX_SAFE_INTEGER), limits);
    assert.ok(again.ok, `handler got a request that does not validate: ${again.ok ? "" : again.error.message}`);
    assert.deepEqual(plain(again.request), plain(request));
  }

  const errors = t.lines.filter((l) => l.level >= LEVEL.error);
  assert.deepEqual(
    errors.map((l) => l.msg),
    [],
    "no error-level logs",
  );
  const stats = t.server.stats();
  assert.ok(stats.protocolViolations > 0, "some frames closed their connection");
  assert.equal(stats.errorsByCode["INTERNAL_ERROR"], undefined);
  tc.diagnostic(`kinds ${JSON.stringify(Object.fromEntries(kinds))}`);
  tc.diagnostic(`responses ${JSON.stringify(Object.fromEntries(responseCodes))}`);
  tc.diagnostic(`connections ${reconnects}, barriers answered ${barriersAnswered}, handler calls ${received.length}, violations ${stats.protocolViolations}`);
});
