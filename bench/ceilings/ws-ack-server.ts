/**
 * The server side of the ws ceiling: a bare ws server on 127.0.0.1 that
 * answers every msgpack frame `{ id, ... }` with `{ id, ok: true }`, and
 * nothing else. Run as its own process (as a broker is); it prints
 * `{"port":N}` on stdout once listening and exits when stdin closes or on
 * SIGTERM.
 */
import { Packr } from "msgpackr";
import { WebSocketServer, type RawData } from "ws";

const packr = new Packr({ useRecords: false });
const server = new WebSocketServer({ host: "127.0.0.1", port: 0, maxPayload: 16 * 1024 * 1024 });

server.on("connection", (ws) => {
  ws.on("message", (data: RawData) => {
    const req = packr.unpack(data as Buffer) as { id: number };
    ws.send(packr.pack({ id: req.id, ok: true }));
  });
});
server.on("listening", () => {
  const addr = server.address();
  const port = typeof addr === "object" && addr !== null ? addr.port : 0;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});
const stop = (): void => {
  server.close();
  process.exit(0);
};
process.stdin.on("end", stop);
process.stdin.on("close", stop);
process.stdin.resume();
process.on("SIGTERM", stop);
