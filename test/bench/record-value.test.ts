/** The bench's record values: exact sizes, a readable stamp, and random values that stay incompressible across a batch. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { jsonFiller, readStamp, STAMP_BYTES, valuePool } from "../../bench/record-value.js";

test("every value of both kinds has exactly the record size and its stamp", () => {
  for (const kind of ["random", "json"] as const) {
    for (const bytes of [STAMP_BYTES, 40, 200, 1024, 4096]) {
      const pool = valuePool(kind, bytes, 3, 8);
      pool.forEach((v, seq) => {
        assert.equal(v.length, bytes, `${kind} ${bytes}`);
        assert.deepEqual(readStamp(v), { sentEpochMs: 0, writer: 3, seq });
      });
    }
  }
});

test("a 1 KiB json value is a whole JSON document after the stamp, and the generator is seeded", () => {
  const v = valuePool("json", 1024, 0, 2);
  const doc = JSON.parse(v[1]!.subarray(STAMP_BYTES).toString("latin1")) as { type: string; order: { items: unknown[] } };
  assert.match(doc.type, /^(order|cart|payment)\./);
  assert.ok(doc.order.items.length >= 1);
  assert.deepEqual(jsonFiller(1024, 42), jsonFiller(1024, 42));
  assert.notDeepEqual(v[0]!.subarray(STAMP_BYTES), v[1]!.subarray(STAMP_BYTES), "each value its own document");
});

test("a batch of random values does not compress; a batch of json values does", () => {
  const ratio = (b: Buffer): number => b.length / gzipSync(b).length;
  assert.ok(ratio(Buffer.concat(valuePool("random", 1024, 0, 128))) < 1.05, "random stays incompressible across values");
  assert.ok(ratio(Buffer.concat(valuePool("json", 1024, 0, 128))) > 3, "json compresses like JSON");
});
