/**
 * Admin.createUser's credential in the browser build of the SDK: refused.
 * SCRAM in the SDK is built on node:crypto (broker/protocol/scram.ts);
 * a WebCrypto version is not written yet. Swapped in for
 * user-credential.ts by client/browser/bundle.ts.
 */
import { RlogError } from "../../broker/protocol/errors.js";
import type { newUserCredential as nodeNewUserCredential } from "./user-credential.js";

/** Always rejects with INVALID_REQUEST: use rlog-cli or the Node SDK to create users. */
export const newUserCredential: typeof nodeNewUserCredential = () =>
  Promise.reject(new RlogError("INVALID_REQUEST", "createUser is not in the browser build of the SDK (SCRAM needs node:crypto there); use rlog-cli user create or the Node SDK"));
