/**
 * The transport seam under connection.ts in a browser: the page's own
 * WebSocket (globalThis.WebSocket), swapped in for socket.ts by the SDK's
 * browser build (client/browser/bundle.ts). TLS is the page's: use wss://
 * URLs; the broker checks the page's Origin against its `allowedOrigins`.
 *
 * What a browser WebSocket cannot do, and what stands in for it:
 * - no `maxPayload`: a frame arrives whole; connection.ts still refuses a
 *   frame over frameBytesMax when it decodes it (unpackFrame);
 * - no terminate(): close(1000) instead; the close event follows;
 * - close() takes only 1000 or 3000-4999: other codes are sent as 1000;
 * - a refused upgrade (HTTP 403 for an Origin not allowed) is reported by
 *   the browser only as an error and a close with code 1006.
 */
import type { openSocket as nodeOpenSocket, ClientSocket } from "./socket.js";

export type { ClientSocket, SocketEvents, SocketOptions } from "./socket.js";

/** RFC 6455 close codes a page may send: 1000 and the 3000-4999 range. */
function sendableCode(code: number): number {
  return code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000;
}

/** Open a socket to `url` (ws:// or wss://) with the page's WebSocket. */
export const openSocket: typeof nodeOpenSocket = (url, _options, events): ClientSocket => {
  const Ws = globalThis.WebSocket;
  const ws = new Ws(url);
  ws.binaryType = "arraybuffer";
  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  ws.addEventListener("open", () => events.onOpen());
  ws.addEventListener("message", (e: MessageEvent) => events.onMessage(e.data instanceof ArrayBuffer ? new Uint8Array(e.data) : undefined));
  ws.addEventListener("error", () => events.onError(new Error(`WebSocket error on ${url} (the browser gives no detail: refused, unreachable, or an Origin the broker does not allow)`)));
  ws.addEventListener("close", (e: { readonly code: number; readonly reason: string }) => {
    resolveClosed();
    events.onClose(e.code, e.reason);
  });
  return {
    get isClosed() {
      return ws.readyState === Ws.CLOSED;
    },
    get isConnecting() {
      return ws.readyState === Ws.CONNECTING;
    },
    send: (frame) => {
      if (ws.readyState === Ws.OPEN) ws.send(frame as Uint8Array<ArrayBuffer>);
    },
    close: (code, reason) => ws.close(sendableCode(code), reason),
    terminate: () => ws.close(1000),
    closed,
  };
};
