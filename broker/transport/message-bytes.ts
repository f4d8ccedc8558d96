/**
 * Estimated encoded size of a Raft message, for queue and frame byte
 * budgets. Deliberately generous (headers, keys and numbers rounded up) so
 * a frame built to a budget does not overshoot it.
 */
import { MessageType, type Message } from "../raft/messages.js";
import { entryBytes } from "../raft/types.js";

/** Fixed allowance per message: envelope, group id, type and numeric fields. */
const MESSAGE_OVERHEAD_BYTES = 128;

/** Estimated bytes of `msg` in a peer frame. */
export function messageBytes(msg: Message): number {
  switch (msg.type) {
    case MessageType.Append: {
      let n = MESSAGE_OVERHEAD_BYTES;
      for (const e of msg.entries) n += entryBytes(e);
      return n;
    }
    case MessageType.Snapshot:
      return MESSAGE_OVERHEAD_BYTES + msg.snapshot.data.byteLength;
    default:
      return MESSAGE_OVERHEAD_BYTES;
  }
}
