/**
 * Writes to stdout with back-pressure: `write()` resolves once the stream
 * will take more (so a slow reader of the pipe slows the consumer, whose
 * prefetch buffers are bounded in turn). A closed pipe (EPIPE, as with
 * `consume ... | head`) is not an error: `closed` turns true and further
 * writes are dropped. Any other write error is thrown by the next write().
 */

/** A back-pressured writer of one stream; see the file comment. */
export class Output {
  private broken = false;
  /** A write error other than EPIPE, thrown by the next write(). */
  private failure: Error | undefined;

  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE") this.broken = true;
      else this.failure ??= err;
    });
  }

  /** Whether the reader went away. */
  get closed(): boolean {
    return this.broken;
  }

  /** Write the bytes; resolves when the stream can take more (or is closed). */
  async write(bytes: Buffer): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (this.broken || bytes.length === 0) return;
    if (this.stream.write(bytes)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.stream.off("drain", done);
        this.stream.off("close", done);
        this.stream.off("error", done);
        resolve();
      };
      this.stream.on("drain", done);
      this.stream.on("close", done);
      this.stream.on("error", done);
    });
  }
}
