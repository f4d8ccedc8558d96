/** Free TCP ports on 127.0.0.1 for the brokers and ceiling servers the bench starts. */
import { createServer } from "node:net";

/** A port that was free a moment ago (bound to port 0, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error("no port from the OS"))));
    });
  });
}

/** `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let attempt = 0; ports.size < count && attempt < count * 20; attempt++) ports.add(await freePort());
  if (ports.size < count) throw new Error(`could not find ${count} distinct free ports`);
  return [...ports];
}
