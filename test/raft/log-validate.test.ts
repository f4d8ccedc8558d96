/**
 * The one validator of LogStorage arguments (broker/raft/log-validate.ts).
 * The contract suite (test/storage/contract.ts) checks that both storages
 * refuse bad calls; this checks the rules themselves and their codes.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { StorageError, type StorageErrorCode } from "../../broker/raft/log-storage.js";
import {
  checkAppendOffset,
  checkAppendPlace,
  checkBound,
  checkCompactionCut,
  checkEntriesRange,
  checkOffsetRead,
  checkRetentionPolicy,
  checkTruncateAfter,
  checkUpdateShape,
  ENTRY_COUNT_MAX,
} from "../../broker/raft/log-validate.js";
import { EntryKind, index, offset, term, type Entry } from "../../broker/raft/types.js";

const refuses = (fn: () => unknown, code: StorageErrorCode, message?: RegExp): void => {
  assert.throws(fn, (e: unknown) => e instanceof StorageError && e.code === code && (message === undefined || message.test(e.message)));
};

const entry = (i: number, off: number, fields: Partial<Entry> = {}): Entry => ({
  index: index(i),
  term: term(1),
  kind: EntryKind.Records,
  offset: offset(off),
  count: 1,
  timestampMs: 0,
  data: new Uint8Array(1),
  ...fields,
});

describe("log validator", () => {
  it("refuses malformed updates with INVALID_ARGUMENT, naming what is wrong", () => {
    checkUpdateShape({ entries: [entry(1, 0), entry(2, 1)] });
    refuses(() => checkUpdateShape(null as never), "INVALID_ARGUMENT", /update must be an object/);
    refuses(() => checkUpdateShape({ entries: [entry(0, 0)] }), "INVALID_ARGUMENT", /index must be a safe integer >= 1/);
    refuses(() => checkUpdateShape({ entries: [entry(1, 0, { count: ENTRY_COUNT_MAX + 1 })] }), "INVALID_ARGUMENT", /count/);
    refuses(() => checkUpdateShape({ entries: [entry(1, 0, { kind: 9 as EntryKind })] }), "INVALID_ARGUMENT", /unknown kind/);
    refuses(() => checkUpdateShape({ entries: [entry(1, 0), entry(3, 1)] }), "INVALID_ARGUMENT", /not contiguous/);
    refuses(() => checkUpdateShape({ entries: [entry(1, 0), entry(2, 5)] }), "INVALID_ARGUMENT", /expected 1/);
    refuses(() => checkUpdateShape({ hardState: { term: term(-1), vote: 0 as never, commit: index(0) } }), "INVALID_ARGUMENT", /hardState.term/);
    refuses(() => checkUpdateShape({ snapshot: { index: index(1), term: term(1), offset: offset(0), data: [] as never } }), "INVALID_ARGUMENT", /snapshot.data/);
    refuses(() => checkBound(Number.NaN, "bytesMax"), "INVALID_ARGUMENT", /bytesMax/);
    assert.equal(checkBound(Infinity, "bytesMax"), Infinity);
    refuses(() => checkRetentionPolicy({ retentionBytes: -2, retentionMs: -1 }, 0), "INVALID_ARGUMENT", /retentionBytes/);
  });

  it("places appends: COMPACTED below the snapshot, no gaps, no truncation of committed entries", () => {
    // A log holding 6..10 after a snapshot at 5, committed through 8.
    checkAppendPlace(entry(11, 0), 5, 10, 8);
    checkAppendPlace(entry(9, 0), 5, 10, 8);
    refuses(() => checkAppendPlace(entry(5, 0), 5, 10, 8), "COMPACTED");
    refuses(() => checkAppendPlace(entry(12, 0), 5, 10, 8), "INVALID_ARGUMENT", /gap/);
    refuses(() => checkAppendPlace(entry(8, 0), 5, 10, 8), "INVALID_ARGUMENT", /commit index is 8/);
    refuses(() => checkAppendOffset(entry(11, 3), 4), "INVALID_ARGUMENT", /expected 4/);
    checkTruncateAfter(8, 8, 5);
    refuses(() => checkTruncateAfter(7, 8, 5), "INVALID_ARGUMENT");
    refuses(() => checkTruncateAfter(4, 0, 5), "COMPACTED");
    refuses(() => checkTruncateAfter(1.5, 0, 0), "INVALID_ARGUMENT");
    refuses(() => checkCompactionCut({ index: index(7), term: term(2), offset: offset(9) }, 2, 8), "INVALID_ARGUMENT", /does not match/);
  });

  it("bounds reads: COMPACTED below the first index, OFFSET_OUT_OF_RANGE outside the offsets", () => {
    checkEntriesRange(6, 11, 100, 5, 10);
    refuses(() => checkEntriesRange(5, 7, 100, 5, 10), "COMPACTED");
    refuses(() => checkEntriesRange(6, 12, 100, 5, 10), "INVALID_ARGUMENT", /past the last index/);
    refuses(() => checkEntriesRange(6.5, 7, 100, 5, 10), "INVALID_ARGUMENT");
    checkOffsetRead(20, 100, Infinity, 10, 20);
    refuses(() => checkOffsetRead(9, 100, 1, 10, 20), "OFFSET_OUT_OF_RANGE");
    refuses(() => checkOffsetRead(21, 100, 1, 10, 20), "OFFSET_OUT_OF_RANGE");
  });
});
