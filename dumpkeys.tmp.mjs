import { open } from "lmdb";
const env = open({ path: process.argv[2], maxDbs: 4, readOnly: true });
const db = env.openDB({ name: "entries", keyEncoding: "binary", encoding: "binary" });
let prev; let n = 0;
for (const { key } of db.getRange({})) {
  const k = Buffer.from(key); n++;
  const s = k.length === 12 ? `${k.readUInt32BE(0)}/${k.readBigUInt64BE(4)}` : `len${k.length}:${k.toString("hex")}`;
  if (prev && Buffer.compare(prev, k) >= 0) console.log("OUT OF ORDER", `prev ${prev.toString("hex")}`, s);
  if (k.length !== 12 || k.readUInt32BE(0) > 100 || k.readBigUInt64BE(4) > 100000n) console.log("odd key", s);
  prev = k;
}
console.log("keys", n);
