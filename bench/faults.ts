/**
 * How the failover workload kills and restarts a broker: the processes this
 * bench started are killed directly (SIGKILL); brokers of an existing
 * cluster only through the shell commands given with --kill-cmd and
 * --restart-cmd (with {id} replaced by the broker id).
 */
import { exec } from "node:child_process";
import type { BenchCluster } from "./cluster.js";

/** Longest a kill or restart command may run. */
const COMMAND_MS_MAX = 60_000;

/** Kills and restarts brokers. */
export interface FaultInjector {
  /** What kills a broker, for the printed settings. */
  readonly description: string;
  /** SIGKILL broker `id`; resolves once it is gone. */
  kill(id: number): Promise<void>;
  /** Start broker `id` again; resolves once it answers. */
  restart(id: number): Promise<void>;
}

/** Faults for the brokers this bench started. */
export function localFaults(cluster: BenchCluster): FaultInjector {
  return {
    description: "SIGKILL of the broker process",
    kill: (id) => cluster.kill(id),
    restart: (id) => cluster.restart(id),
  };
}

function run(command: string, id: number): Promise<void> {
  const cmd = command.replaceAll("{id}", String(id));
  return new Promise((resolve, reject) => {
    exec(cmd, { timeout: COMMAND_MS_MAX, killSignal: "SIGKILL" }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`${cmd}: ${err.message}${stderr ? `\n${stderr}` : ""}`));
      else resolve();
    });
  });
}

/** Faults through shell commands, for --brokers. */
export function commandFaults(cluster: BenchCluster, killCommand: string, restartCommand: string): FaultInjector {
  return {
    description: `--kill-cmd ${JSON.stringify(killCommand)}`,
    kill: (id) => run(killCommand, id),
    restart: async (id) => {
      await run(restartCommand, id);
      await cluster.waitReady(id);
    },
  };
}
