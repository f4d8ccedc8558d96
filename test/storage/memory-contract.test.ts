/** The LogStorage contract against the in-memory log (reopen = a crash-restart copy). */
import { MemoryStorage } from "../../broker/raft/memory-storage.js";
import type { LogStorage } from "../../broker/raft/log-storage.js";
import { logContract } from "./contract.js";

logContract("MemoryStorage", async (settings) => {
  let log = new MemoryStorage(settings);
  const current: { log: LogStorage } = { log };
  return {
    log,
    reopen: async () => {
      const copy = log.clone();
      await log.close();
      log = copy;
      current.log = copy;
      return copy;
    },
    cleanup: () => current.log.close(),
  };
});
