/**
 * A one-line progress display on stderr, redrawn a few times a second, only
 * when stderr is a terminal (never in pipes, files or CI logs). No dependency:
 * a carriage return, an erase-line escape and the text.
 */

/** How often the line is redrawn. */
const REDRAW_INTERVAL_MS = 200;
/** Width of the bar, in characters, when a fraction is known. */
const BAR_WIDTH = 30;

/** What the progress line shows at one moment. */
export interface ProgressSnapshot {
  /** Done so far, as a fraction of the whole in [0, 1], when the whole is known. */
  readonly fraction?: number;
  /** The rest of the line, e.g. "12,000 records  3.1 MB  40,000 records/s". */
  readonly text: string;
}

/** The progress line; inert when stderr is not a TTY. */
export class ProgressLine {
  private timer: NodeJS.Timeout | undefined;
  private drawn = false;

  /**
   * @param snapshot called at each redraw
   * @param stream where to draw (stderr)
   */
  constructor(
    private readonly snapshot: () => ProgressSnapshot,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  /** Start redrawing (no-op when the stream is not a terminal). */
  start(): void {
    if (!this.stream.isTTY || this.timer !== undefined) return;
    this.timer = setInterval(() => this.draw(), REDRAW_INTERVAL_MS);
    this.timer.unref();
  }

  /** Stop and erase the line, so what follows starts on a clean line. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.drawn) this.stream.write("\r\x1b[K");
    this.drawn = false;
  }

  private draw(): void {
    const s = this.snapshot();
    const columns = this.stream.columns || 80; // 0 when the terminal does not say
    const line = (s.fraction === undefined ? "" : bar(s.fraction) + " ") + s.text;
    this.stream.write("\r\x1b[K" + line.slice(0, Math.max(10, columns - 1)));
    this.drawn = true;
  }
}

/** `[=========>          ]  45%` */
export function bar(fraction: number): string {
  const f = Math.min(1, Math.max(0, fraction));
  const filled = Math.round(f * BAR_WIDTH);
  const body = filled >= BAR_WIDTH ? "=".repeat(BAR_WIDTH) : "=".repeat(filled) + ">" + " ".repeat(BAR_WIDTH - filled - 1);
  return `[${body}] ${String(Math.floor(f * 100)).padStart(3)}%`;
}

/** 1234567 -> "1,234,567". */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** Bytes with a decimal unit: "512 B", "1.9 MB", "3.20 GB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let v = bytes;
  let unit = "B";
  for (const u of units) {
    if (v < 1000) break;
    v /= 1000;
    unit = u;
  }
  return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)} ${unit}`;
}
