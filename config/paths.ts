/**
 * Where the package and its shipped config files are at run time. The
 * compiled code lives in dist/config/, the JSON files stay in config/, so the
 * package root is found by walking up from this module to the package.json
 * named "rlog" (this also works when the sources are run directly).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

/** Absolute path of the rlog package root (the directory holding its package.json). */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 5; depth++) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      const name: unknown = (JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name;
      if (name === "rlog") return (root = dir);
    }
    dir = dirname(dir);
  }
  throw new Error(`cannot find the rlog package root above ${fileURLToPath(import.meta.url)}`);
}

/** Absolute path of the shipped config directory. */
export function configDir(): string {
  return join(packageRoot(), "config");
}

/** Absolute path of a shipped config file, e.g. shippedConfigPath("cluster-3/broker-1.json"). */
export function shippedConfigPath(name: string): string {
  return join(configDir(), name);
}

/** Every shipped JSON config file, relative to the config directory, sorted ("broker.json", "cluster-3/broker-1.json", ...). */
export function shippedConfigFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (depth < 3) walk(path, depth + 1);
      } else if (name.endsWith(".json")) {
        out.push(relative(configDir(), path).split("\\").join("/"));
      }
    }
  };
  walk(configDir(), 0);
  return out.sort();
}
