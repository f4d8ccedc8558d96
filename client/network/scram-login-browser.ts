/**
 * The `sasl` option in the browser build of the SDK: refused when the
 * client is created, with AUTHENTICATION_FAILED and a message that says
 * why. The SDK's SCRAM-SHA-256 exchange (scram-login.ts, on
 * broker/protocol/scram.ts) is built on node:crypto and Buffer; a WebCrypto
 * version is not written yet. Swapped in for scram-login.ts by
 * client/browser/bundle.ts.
 */
import { RlogError } from "../../broker/protocol/errors.js";
import type { AuthenticateSend, SASL_MECHANISM as NODE_SASL_MECHANISM, SaslOptions, ScramLogin as NodeScramLogin } from "./scram-login.js";

export type { AuthenticateSend, SaslOptions } from "./scram-login.js";

/** The mechanism name on the wire. */
export const SASL_MECHANISM: typeof NODE_SASL_MECHANISM = "SCRAM-SHA-256";

/** Stands in for the Node ScramLogin; its constructor always throws. */
export class ScramLogin implements Pick<NodeScramLogin, "login" | "username" | "toJSON"> {
  /** @throws RlogError AUTHENTICATION_FAILED, always */
  constructor(options: SaslOptions) {
    throw new RlogError(
      "AUTHENTICATION_FAILED",
      `sasl (user ${JSON.stringify(options.username)}): SCRAM-SHA-256 login is not in the browser build of the SDK yet; connect to a listener without authentication, or use the Node SDK`,
    );
  }

  get username(): string {
    return "";
  }

  toJSON(): { mechanism: string; username: string } {
    return { mechanism: SASL_MECHANISM, username: "" };
  }

  login(_send: AuthenticateSend, url: string): Promise<string> {
    return Promise.reject(new RlogError("AUTHENTICATION_FAILED", `${url}: SCRAM-SHA-256 login is not in the browser build of the SDK`));
  }
}
