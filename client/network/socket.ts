/**
 * The transport seam under connection.ts: one binary WebSocket to a broker,
 * reduced to what a connection needs (open, send a frame, close, and four
 * events). In Node this is the `ws` package; the browser build of the SDK
 * swaps this file for socket-browser.ts (the page's own WebSocket;
 * client/browser/bundle.ts), which keeps every node: module out of the bundle.
 */
import { WebSocket } from "ws";
import type { ClientTlsOptions } from "../client-options.js";

/** What a connection hears from its socket. Every socket ends with exactly one onClose. */
export interface SocketEvents {
  onOpen(): void;
  /** A frame arrived: its bytes, or undefined for a text frame (a protocol violation). */
  onMessage(bytes: Uint8Array | undefined): void;
  /** A socket error; always followed by onClose. `code` is Node's error code where there is one. */
  onError(err: Error & { code?: string }): void;
  onClose(code: number, reason: string): void;
}

/** How to open a socket. */
export interface SocketOptions {
  /** Largest frame accepted (where the transport can enforce it before buffering: ws's maxPayload). */
  readonly frameBytesMax: number;
  /** Time to open the socket, in ms (the connection's own timer bounds the handshake too). */
  readonly connectTimeoutMs: number;
  /** TLS settings for a wss:// url (Node only; a page uses the browser's TLS). */
  readonly tls?: ClientTlsOptions;
}

/** One open or opening socket. */
export interface ClientSocket {
  /** Whether the socket has closed (its onClose has run or is about to). */
  readonly isClosed: boolean;
  /** Whether the socket is still opening. */
  readonly isConnecting: boolean;
  /** Send one binary frame; a failed write surfaces as onClose. */
  send(frame: Uint8Array): void;
  /** Start the closing handshake. */
  close(code: number, reason: string): void;
  /** Cut the socket without a closing handshake. */
  terminate(): void;
  /** Resolves once the socket has closed. */
  readonly closed: Promise<void>;
}

/** Open a socket to `url` (ws:// or wss://) through the `ws` package. */
export function openSocket(url: string, options: SocketOptions, events: SocketEvents): ClientSocket {
  // Zero mask key: ws skips masking every byte here and unmasking at the broker (the
  // largest CPU cost in the produce profiles, docs/PERFORMANCE.md). Masking protects
  // browsers' proxies from cache poisoning; this transport is not a browser's.
  const ws = new WebSocket(url, {
    maxPayload: options.frameBytesMax,
    perMessageDeflate: false,
    handshakeTimeout: options.connectTimeoutMs,
    generateMask: zeroMask,
    ...options.tls,
  });
  ws.binaryType = "nodebuffer";
  const closed = new Promise<void>((resolve) => ws.once("close", () => resolve()));
  ws.on("open", () => events.onOpen());
  ws.on("message", (data, isBinary) => {
    if (!isBinary) events.onMessage(undefined);
    else events.onMessage(Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data);
  });
  ws.on("error", (err) => events.onError(err));
  ws.on("close", (code, reason) => events.onClose(code, reason.toString()));
  return {
    get isClosed() {
      return ws.readyState === WebSocket.CLOSED;
    },
    get isConnecting() {
      return ws.readyState === WebSocket.CONNECTING;
    },
    send: (frame) => ws.send(frame, () => undefined),
    close: (code, reason) => ws.close(code, reason),
    terminate: () => ws.terminate(),
    closed,
  };
}

/** Fills a frame's mask key with zeros (see the comment where the socket is opened). */
function zeroMask(mask: Buffer): void {
  mask.fill(0);
}
