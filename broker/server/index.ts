/**
 * The client listener: what broker/main.ts needs to serve clients. It owns
 * connections, frames and limits; the broker's logic plugs in through
 * OpHandlers (handlers.ts).
 */
export { ClientServer } from "./client-server.js";
export type { OpHandlers, RequestContext } from "./handlers.js";
export type { ClientServerOptions } from "./server-options.js";
export type { ClientServerStats } from "./server-stats.js";
export { SLOW_CLIENT_CLOSE_CODE } from "./session.js";
