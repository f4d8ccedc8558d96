/**
 * What a failed LMDB write means (broker/storage/write-errors.ts): errno to
 * StorageError code, LMDB's EIO for a short write on a full filesystem, and
 * the cause behind lmdb-js's "Commit failed" (its commitError promise,
 * consumed so that it never rejects unhandled).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { freeBytes, lmdbCause, SHORT_WRITE_FREE_BYTES_MAX, writeError } from "../../broker/storage/write-errors.js";

const errno = (code: number | string): Error => Object.assign(new Error(`errno ${code}`), { code });

test("ENOSPC and EDQUOT are a full disk; other errnos are I/O errors", () => {
  assert.equal(writeError(errno(28), "/x").code, "NOT_ENOUGH_SPACE");
  assert.equal(writeError(errno("ENOSPC"), "/x").code, "NOT_ENOUGH_SPACE");
  assert.equal(writeError(errno(122), "/x").code, "NOT_ENOUGH_SPACE");
  assert.equal(writeError(errno(13), "/x").code, "IO_ERROR");
  assert.equal(writeError(new Error("no errno"), "/x").code, "IO_ERROR");
  assert.equal(writeError("a string", "/x").code, "IO_ERROR");
});

test("EIO is a full disk only when the filesystem has (almost) no space left", () => {
  // The temp dir's filesystem has room: an EIO there is an I/O error.
  const free = freeBytes(tmpdir());
  assert.ok(free !== undefined);
  if (free >= SHORT_WRITE_FREE_BYTES_MAX) assert.equal(writeError(errno(5), tmpdir()).code, "IO_ERROR");
  // A path whose free space cannot be read is not taken for a full disk.
  assert.equal(writeError(errno(5), "/nonexistent-rlog-path").code, "IO_ERROR");
});

test("the cause of an lmdb-js commit failure is its commitError's reason, and that promise is handled", async () => {
  const inner = errno(28);
  const commitError = Promise.reject(inner);
  const outer = Object.assign(new Error("Commit failed (see commitError for details)"), { commitError });
  assert.equal(await lmdbCause(outer), inner);
  const plain = errno(5);
  assert.equal(await lmdbCause(plain), plain);
});
