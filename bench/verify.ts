/** Read a topic back and check it against an AckLedger (lost and duplicated records). */
import type { RlogClient } from "../client/index.js";
import type { AckLedger, LedgerCheck } from "./ledger.js";
import { endOffsetsOf, readBack } from "./read-back.js";
import { readStamp, recordKey } from "./record-value.js";

/** Most time the read-back may take. */
const SECONDS_MAX = 120;

/** Read every partition of `topic` from its start to its high watermark and compare with `ledger`. */
export async function verifyTopic(client: RlogClient, topic: string, partitions: number, ledger: AckLedger): Promise<LedgerCheck> {
  const endOffsets = await endOffsetsOf(client, topic, partitions);
  const checker = ledger.checker();
  await readBack(client, {
    topic,
    endOffsets,
    secondsMax: SECONDS_MAX,
    onRecord: (r) => {
      const stamp = readStamp(r.value);
      if (stamp !== undefined) checker.record(r.partition, r.offset, recordKey(stamp.writer, stamp.seq));
    },
  });
  return checker.result();
}
