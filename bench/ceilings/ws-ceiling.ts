/**
 * The network ceiling: a bare ws + msgpackr request/acknowledge loop over
 * loopback, between this process and a server process (ws-ack-server.ts).
 * Requests are `{ id, op, value }` with a value of `recordBytes` bytes,
 * masked like any ws client's; up to `inflight` are outstanding (the
 * broker's default inflightRequestsMax). No broker logic, no storage: what
 * one connection can move on this machine, and the floor of a round trip.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Packr } from "msgpackr";
import WebSocket from "ws";
import { trackChild } from "../cleanup.js";
import { LatencyHistogram, type LatencySummaryMs } from "../histogram.js";
import { filler } from "../record-value.js";
import { nowMs, withDeadline } from "../time.js";

const SERVER_JS = fileURLToPath(new URL("./ws-ack-server.js", import.meta.url));
const START_MS_MAX = 10_000;
/** Sequential round trips measured for the latency floor. */
const ROUND_TRIPS = 2_000;

/** Figures of the ws ceiling. */
export interface WsCeiling {
  readonly settings: { readonly recordBytes: number; readonly inflight: number; readonly seconds: number };
  readonly framesPerSec: number;
  readonly mbPerSec: number;
  /** One request at a time: request to acknowledgement. */
  readonly roundTripMs: LatencySummaryMs;
}

/** Start the server process and return its port and a stop function. */
async function startServer(): Promise<{ port: number; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [SERVER_JS], { stdio: ["pipe", "pipe", "inherit"] });
  trackChild(child);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  };
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("ws ceiling server did not start")), START_MS_MAX);
    lines.once("line", (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once("exit", () => reject(new Error("ws ceiling server exited")));
  }).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  lines.close();
  return { port, stop };
}

/** Measure the ws ceiling for `seconds`. */
export async function measureWsCeiling(recordBytes: number, seconds: number, inflight = 128): Promise<WsCeiling> {
  const server = await startServer();
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}`, { maxPayload: 16 * 1024 * 1024 });
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    const packr = new Packr({ useRecords: false });
    const value = filler(recordBytes);
    let nextId = 1;
    let onAck: (id: number) => void = () => undefined;
    ws.on("message", (data: Buffer) => onAck((packr.unpack(data) as { id: number }).id));
    const send = (): void => {
      ws.send(packr.pack({ id: nextId++, op: "produce", value }));
    };

    // Throughput: keep `inflight` requests outstanding for `seconds`.
    let acked = 0;
    const start = nowMs();
    const end = start + seconds * 1000;
    const closed = new Promise<never>((_, reject) => ws.once("close", () => reject(new Error("ws ceiling connection closed"))));
    closed.catch(() => undefined);
    const throughput = new Promise<void>((resolve) => {
      let outstanding = 0;
      onAck = () => {
        acked++;
        outstanding--;
        if (nowMs() < end) {
          send();
          outstanding++;
        } else if (outstanding === 0) resolve();
      };
      for (; outstanding < inflight; outstanding++) send();
    });
    await withDeadline(Promise.race([throughput, closed]), seconds * 1000 + 10_000, "ws ceiling throughput loop");
    const elapsedS = (nowMs() - start) / 1000;

    // Round trips one at a time.
    const hist = new LatencyHistogram();
    for (let k = 0; k < ROUND_TRIPS; k++) {
      const t0 = nowMs();
      const ack = new Promise<void>((resolve) => {
        onAck = () => resolve();
        send();
      });
      await withDeadline(Promise.race([ack, closed]), 5_000, "ws ceiling round trip");
      hist.recordMs(nowMs() - t0);
    }
    return {
      settings: { recordBytes, inflight, seconds },
      framesPerSec: acked / elapsedS,
      mbPerSec: (acked * recordBytes) / elapsedS / 1e6,
      roundTripMs: hist.summary(),
    };
  } finally {
    ws.terminate();
    await server.stop();
  }
}
