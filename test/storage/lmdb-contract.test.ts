/** The LogStorage contract against the LMDB log, in real LMDB files under a fresh temp dir. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LogStore, type LmdbLog } from "../../broker/storage/log-store.js";
import { logContract } from "./contract.js";

logContract("LmdbLog", async (settings) => {
  const dir = await mkdtemp(join(tmpdir(), "rlog-contract-"));
  const openStore = () => LogStore.open({ path: dir, clock: settings.clock });
  const logSettings = { segmentBytes: settings.segmentBytes, segmentMs: settings.segmentMs };
  let store = await openStore();
  let log: LmdbLog = await store.openLog("p-0", logSettings);
  return {
    log,
    reopen: async () => {
      await store.close();
      store = await openStore();
      log = await store.openLog("p-0", logSettings);
      return log;
    },
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
