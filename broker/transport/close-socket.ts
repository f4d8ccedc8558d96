/**
 * Closing a WebSocket without leaving handles behind: send a close frame
 * with a code and reason, wait for the peer's close up to `waitMs`, then
 * cut the TCP connection.
 */
import { WebSocket } from "ws";

/** Close reasons are limited to 123 bytes by RFC 6455; longer text is cut. */
export function closeReason(text: string): string {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.byteLength <= 123) return text;
  return bytes.subarray(0, 120).toString("utf8").replace(/\uFFFD$/, "") + "...";
}

/** Close `ws` with `code` and `reason`; resolves once the socket is closed (after at most about waitMs). */
export function closeSocket(ws: WebSocket, code: number, reason: string, waitMs: number): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => ws.terminate(), waitMs);
    ws.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
    if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    else if (ws.readyState === WebSocket.OPEN) ws.close(code, closeReason(reason));
    // CLOSING: the close handshake is under way; the timer cuts it short if needed.
  });
}

/** A received message as one Buffer (ws hands fragmented messages as an array when asked to). */
export function frameBytes(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return data;
}
