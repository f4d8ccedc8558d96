/**
 * A small TypeScript source scanner for the architecture tests: blanks out
 * comments (and optionally string, template and regex contents) while keeping
 * every newline, so that a match's line number is its line in the file; then
 * finds the module specifiers a file imports. Not a parser: it knows just
 * enough (strings, templates, regex literals, comments) not to be fooled by
 * an import or an API name that only appears in a comment or a string.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

/** Characters after which a `/` starts a regex literal rather than a division. */
const REGEX_AFTER = new Set(["", "(", ",", "=", ":", "[", "!", "&", "|", "?", "{", "}", ";", "+", "-", "*", "%", "<", ">", "~", "^"]);
const REGEX_AFTER_WORDS = new Set(["return", "typeof", "case", "do", "else", "in", "of", "new", "delete", "void", "throw", "yield", "await"]);

/**
 * Returns `text` with comments replaced by spaces; with `blankLiterals`, the
 * insides of strings, template literals and regex literals too (their
 * delimiters stay). Newlines are always kept.
 */
export function blankSource(text: string, blankLiterals: boolean): string {
  const out: string[] = [];
  const blank = (ch: string): string => (ch === "\n" ? "\n" : " ");
  const keep = (ch: string): string => (blankLiterals ? blank(ch) : ch);
  let i = 0;
  let lastSignificant = ""; // last non-space character of code, for the regex heuristic
  let lastWord = "";
  // Template literal nesting: each entry counts open braces inside a `${ ... }`.
  const templateBraces: number[] = [];
  const n = text.length;
  while (i < n) {
    const ch = text[i] ?? "";
    const next = text[i + 1] ?? "";
    if (ch === "/" && next === "/") {
      while (i < n && text[i] !== "\n") {
        out.push(" ");
        i++;
      }
      continue;
    }
    if (ch === "/" && next === "*") {
      out.push("  ");
      i += 2;
      while (i < n && !(text[i] === "*" && text[i + 1] === "/")) out.push(blank(text[i++] ?? ""));
      out.push("  ");
      i += 2;
      continue;
    }
    if (ch === '"' || ch === "'") {
      out.push(ch);
      i++;
      while (i < n && text[i] !== ch && text[i] !== "\n") {
        if (text[i] === "\\") {
          out.push(keep(text[i] ?? ""), keep(text[i + 1] ?? ""));
          i += 2;
        } else out.push(keep(text[i++] ?? ""));
      }
      if (i < n) out.push(text[i++] ?? "");
      lastSignificant = ch;
      lastWord = "";
      continue;
    }
    if (ch === "`" || (ch === "}" && templateBraces.length > 0 && templateBraces[templateBraces.length - 1] === 0)) {
      // Start of a template, or the end of a `${ ... }` inside one: scan template text.
      if (ch === "}") templateBraces.pop();
      out.push(ch);
      i++;
      while (i < n && text[i] !== "`") {
        if (text[i] === "\\") {
          out.push(keep(text[i] ?? ""), keep(text[i + 1] ?? ""));
          i += 2;
        } else if (text[i] === "$" && text[i + 1] === "{") {
          out.push("${");
          i += 2;
          templateBraces.push(0);
          break;
        } else out.push(keep(text[i++] ?? ""));
      }
      if (text[i] === "`") out.push(text[i++] ?? "");
      lastSignificant = "`";
      lastWord = "";
      continue;
    }
    if (ch === "/" && (REGEX_AFTER.has(lastSignificant) || REGEX_AFTER_WORDS.has(lastWord))) {
      out.push(ch);
      i++;
      let inClass = false;
      while (i < n && text[i] !== "\n" && (inClass || text[i] !== "/")) {
        if (text[i] === "\\") {
          out.push(keep(text[i] ?? ""), keep(text[i + 1] ?? ""));
          i += 2;
          continue;
        }
        if (text[i] === "[") inClass = true;
        else if (text[i] === "]") inClass = false;
        out.push(keep(text[i++] ?? ""));
      }
      if (text[i] === "/") out.push(text[i++] ?? "");
      lastSignificant = "/";
      lastWord = "";
      continue;
    }
    if (templateBraces.length > 0) {
      const top = templateBraces.length - 1;
      if (ch === "{") templateBraces[top] = (templateBraces[top] ?? 0) + 1;
      else if (ch === "}") templateBraces[top] = (templateBraces[top] ?? 0) - 1;
    }
    out.push(ch);
    i++;
    if (/\s/.test(ch)) continue;
    if (/[\w$]/.test(ch)) {
      lastWord = /[\w$]/.test(lastSignificant) ? lastWord + ch : ch;
      lastSignificant = "a"; // any identifier character: a following `/` divides
    } else {
      lastSignificant = ch;
      lastWord = "";
    }
  }
  return out.join("");
}

/** How a module is imported. */
export type ImportKind = "static" | "type" | "dynamic" | "require";

/** One import found in a file. */
export interface FoundImport {
  /** The module specifier as written, e.g. "node:fs" or "../raft/types.js". */
  readonly specifier: string;
  /** 1-based line of the import statement. */
  readonly line: number;
  readonly kind: ImportKind;
}

/**
 * The imports and re-exports of a TypeScript source: `import ... from`,
 * `import "x"`, `export ... from`, `import type`, `import("x")`, `require("x")`.
 * Occurrences in comments are ignored.
 */
export function findImports(source: string): FoundImport[] {
  const code = blankSource(source, false);
  // Same positions with string contents blanked: a keyword found in `code` but
  // not here sits inside a string and is not an import.
  const bare = blankSource(source, true);
  const inCode = (index: number, keyword: string): boolean => bare.startsWith(keyword, index);
  const lineAt = (index: number): number => code.slice(0, index).split("\n").length;
  const found: { index: number; item: FoundImport }[] = [];
  const statement = /(?:^|[;}\n])[ \t]*(import|export)\s+(type\s+)?(?:[^;'"`()]*?\sfrom\s*)?(["'])([^"'\n]+)\3/g;
  for (const m of code.matchAll(statement)) {
    const index = (m.index ?? 0) + m[0].indexOf(m[1] ?? "import");
    if (!inCode(index, m[1] ?? "import")) continue;
    found.push({ index, item: { specifier: m[4] ?? "", line: lineAt(index), kind: m[2] !== undefined ? "type" : "static" } });
  }
  for (const m of code.matchAll(/(?<![\w$.])(import|require)\s*\(\s*(["'])([^"'\n]+)\2\s*\)/g)) {
    const index = m.index ?? 0;
    if (!inCode(index, m[1] ?? "import")) continue;
    found.push({ index, item: { specifier: m[3] ?? "", line: lineAt(index), kind: m[1] === "import" ? "dynamic" : "require" } });
  }
  return found.sort((a, b) => a.index - b.index).map((f) => f.item);
}

/** A source file: its path relative to the package root (with "/"), and its text. */
export interface SourceFile {
  readonly path: string;
  readonly text: string;
}

/** Every .ts source (not .d.ts) under the given top-level directories of `root`. */
export function readSources(root: string, dirs: readonly string[]): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return; // a directory that does not exist yet
    }
    for (const name of names.sort()) {
      if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) {
        out.push({ path: relative(root, full).split("\\").join("/"), text: readFileSync(full, "utf8") });
      }
    }
  };
  for (const d of dirs) walk(join(root, d));
  return out;
}
