/** Runs kcat (librdkafka's command-line client) for tests: bounded, its child always ended. */
import { spawn } from "node:child_process";

/** Run kcat with `args`; resolves to its stdout once it exits 0, rejects with its stderr otherwise (SIGKILLed after `timeoutMs`). */
export function kcat(args: readonly string[], timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("kcat", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`kcat ${args.join(" ")} exited ${code ?? signal}: ${err}`));
    });
  });
}
