/**
 * The live web console (docs/CONSOLE.md): a page served by every broker's
 * admin listener at `/`, talking to the cluster only through the browser SDK
 * (/rlog.js) over the brokers' client WebSocket ports.
 *
 * Every POLL_INTERVAL_MS it asks each broker for clusterStatus (a broker
 * reports full replica detail only for the partitions it leads, so the
 * answers are merged: a leader's view wins, then the higher term), the
 * controller for listBrokers, and this broker's /metrics for its fetched
 * records; and draws brokers, partitions and two charts from that. Leader
 * changes are counted between polls: a partition whose leader (or its term)
 * differs from the last leader seen; polls that see no leader are skipped.
 * Actions go through the SDK too (transferLeader, rebalanceLeaders), so the
 * brokers' ACLs decide them when authorization is on.
 *
 * No framework: rows are keyed by topic/partition and updated in place, so a
 * replica picked in a row's select survives the next poll.
 */
import { RlogClient, RlogError, type ClusterStatusResult, type ConsumerRecord, type PartitionStatus, type SaslOptions } from "./rlog.js";

/** How often the page asks the cluster. */
const POLL_INTERVAL_MS = 1000;
/** Per-broker status requests give up after this (a broker that does not answer shows as down). */
const STATUS_TIMEOUT_MS = 2000;
/** Samples the charts keep: 2 minutes at one a second. */
const HISTORY_SAMPLES_MAX = 120;
/** Records "Show latest" reads per partition, and shows at most in all. */
const LATEST_RECORDS_MAX = 20;
/** How long "Show latest" reads before showing what it has. */
const LATEST_READ_MS_MAX = 5000;
/** Characters of a record's key or value shown. */
const SHOWN_CHARS_MAX = 160;
/** The counter whose rate is "fetched" (this broker's /metrics). */
const FETCH_RECORDS_METRIC = "rlog_fetch_records_total";

/** GET /console/config.json (broker/admin/admin-routes.ts, ConsoleConfig). */
interface ConsoleConfig {
  readonly brokerId: number;
  readonly brokers: readonly { readonly id: number; readonly clientUrl: string }[];
  readonly authentication: string;
}

/** A partition as the page shows it: the best answer (see the file comment). */
interface ShownPartition extends PartitionStatus {
  readonly fromLeader: boolean;
}

/** One poll's figures for the charts. */
interface Sample {
  readonly leaderChanges: number;
  /** Records per second; undefined on the first poll (no earlier figure to subtract). */
  readonly producedPerSecond: number | undefined;
  readonly fetchedPerSecond: number | undefined;
}

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`the page has no #${id}`);
  return el as T;
};

/** An element with a class and text. */
function el<K extends keyof HTMLElementTagNameMap>(tag: K, text = "", className = ""): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== "") e.textContent = text;
  if (className !== "") e.className = className;
  return e;
}

const isInternal = (topic: string): boolean => topic.startsWith("__");
const keyOf = (p: { topic: string; partition: number }): string => `${p.topic}/${p.partition}`;
const errorText = (err: unknown): string => (err instanceof RlogError ? `${err.codeName}: ${err.message}` : err instanceof Error ? err.message : String(err));

/** Show a line under the header: progress, done, or an error. */
function say(text: string, kind: "" | "done" | "error" = ""): void {
  const m = $("message");
  m.textContent = text;
  m.className = `message ${kind}`;
}

/** Merge the brokers' clusterStatus answers: per partition a leader's view over a follower's, then the higher term. */
function mergePartitions(answers: readonly (ClusterStatusResult | undefined)[]): ShownPartition[] {
  const best = new Map<string, ShownPartition>();
  for (const a of answers) {
    for (const p of a?.partitions ?? []) {
      const candidate: ShownPartition = { ...p, fromLeader: p.replicas.length > 0 };
      const current = best.get(keyOf(p));
      const better =
        current === undefined ||
        (candidate.fromLeader !== current.fromLeader ? candidate.fromLeader : candidate.term !== current.term ? candidate.term > current.term : candidate.highWatermark > current.highWatermark);
      if (better) best.set(keyOf(p), candidate);
    }
  }
  return [...best.values()].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}

/** The sum of a counter's series in Prometheus text, or undefined when it is absent. */
function counterSum(text: string, name: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name) || (line[name.length] !== " " && line[name.length] !== "{")) continue;
    const v = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (Number.isFinite(v)) sum = (sum ?? 0) + v;
  }
  return sum;
}

/** A short readable form of record bytes: UTF-8 text when it is text, hex otherwise. */
function shown(bytes: Uint8Array | undefined | null): string {
  if (bytes === undefined) return "(no key)";
  if (bytes === null) return "(no value)";
  const text = new TextDecoder().decode(bytes.subarray(0, SHOWN_CHARS_MAX * 4));
  // eslint-disable-next-line no-control-regex
  const readable = !text.includes("\uFFFD") && !/[\u0000-\u0008\u000E-\u001F]/.test(text);
  const out = readable ? text : Array.from(bytes.subarray(0, SHOWN_CHARS_MAX / 2), (b) => b.toString(16).padStart(2, "0")).join(" ");
  return out.length > SHOWN_CHARS_MAX ? out.slice(0, SHOWN_CHARS_MAX) + "…" : out;
}

/** Draw a bar or line chart of `series` (one per colour class) into an SVG, newest on the right. */
function drawChart(svg: SVGSVGElement, series: readonly { readonly values: readonly (number | undefined)[]; readonly cls: string; readonly bars: boolean }[]): void {
  const width = 480;
  const height = 110;
  const top = 14;
  const max = Math.max(1, ...series.flatMap((s) => s.values.filter((v): v is number => v !== undefined)));
  const x = (i: number): number => (i / (HISTORY_SAMPLES_MAX - 1)) * width;
  const y = (v: number): number => height - 2 - (v / max) * (height - top - 4);
  const parts: string[] = [];
  for (const frac of [0.5, 1]) parts.push(`<line x1="0" x2="${width}" y1="${y(max * frac)}" y2="${y(max * frac)}" stroke="#e3e7ee" stroke-dasharray="3 3"/>`);
  for (const s of series) {
    const offset = HISTORY_SAMPLES_MAX - s.values.length;
    if (s.bars) {
      const w = width / HISTORY_SAMPLES_MAX - 1;
      s.values.forEach((v, i) => {
        if (v !== undefined && v > 0) parts.push(`<rect class="${s.cls}" x="${x(offset + i) - w / 2}" y="${y(v)}" width="${w}" height="${height - 2 - y(v)}"/>`);
      });
    } else {
      const points = s.values.flatMap((v, i) => (v === undefined ? [] : [`${x(offset + i).toFixed(1)},${y(v).toFixed(1)}`]));
      if (points.length > 1) parts.push(`<polyline class="${s.cls}" fill="none" stroke-width="2" points="${points.join(" ")}"/>`);
    }
  }
  parts.push(`<text x="4" y="11">max ${max >= 100 ? Math.round(max) : Math.round(max * 10) / 10}</text>`);
  parts.push(`<text x="${width - 4}" y="${height - 4}" text-anchor="end">now</text>`);
  svg.innerHTML = parts.join("");
}

/** The console: clients, state between polls, and the page's parts. */
class Console {
  private readonly config: ConsoleConfig;
  /** For actions and records: every broker. */
  private readonly client: RlogClient;
  /** One per broker, no retries: each answers clusterStatus for itself. */
  private readonly brokerClients: Map<number, RlogClient>;
  private readonly history: Sample[] = [];
  /** "topic/partition" -> "leader@term" of the last leader a poll saw (leader changes are counted against it). */
  private readonly leaders = new Map<string, string>();
  private readonly rows = new Map<string, HTMLTableRowElement>();
  private previous: { readonly atMs: number; readonly produced: number; readonly fetched: number | undefined } | undefined;
  private partitions: ShownPartition[] = [];
  /** The /metrics request's headers: HTTP Basic with the login when there is one (the admin listener asks for it with SCRAM on). */
  private readonly metricsHeaders: Record<string, string>;

  constructor(config: ConsoleConfig, sasl: SaslOptions | undefined) {
    this.config = config;
    this.metricsHeaders = sasl === undefined ? {} : { authorization: basicAuthorization(sasl.username, sasl.password) };
    const login = sasl === undefined ? {} : { sasl };
    this.client = new RlogClient({ brokers: config.brokers.map((b) => b.clientUrl), clientId: "rlog-console", ...login });
    this.brokerClients = new Map(
      config.brokers.map((b) => [
        b.id,
        new RlogClient({
          brokers: [b.clientUrl],
          clientId: "rlog-console",
          connectTimeoutMs: STATUS_TIMEOUT_MS,
          requestTimeoutMs: STATUS_TIMEOUT_MS,
          retry: { retriesMax: 0, totalTimeoutMs: STATUS_TIMEOUT_MS },
          ...login,
        }),
      ]),
    );
  }

  /** Check the login (if any) with one request; throws the SDK's error. */
  async check(): Promise<void> {
    await this.client.admin().listTopics();
  }

  /** Close every client (a login that failed). */
  async close(): Promise<void> {
    await Promise.all([this.client, ...this.brokerClients.values()].map((c) => c.close()));
  }

  /** Wire the controls and poll forever. */
  start(): void {
    $("dashboard").hidden = false;
    $<HTMLInputElement>("show-internal").addEventListener("change", () => this.renderPartitions());
    $<HTMLButtonElement>("rebalance").addEventListener("click", (e) => void this.rebalance(e.currentTarget as HTMLButtonElement));
    $<HTMLButtonElement>("records-show").addEventListener("click", (e) => void this.showLatest(e.currentTarget as HTMLButtonElement));
    const loop = async (): Promise<void> => {
      const started = performance.now();
      try {
        await this.poll();
      } catch (err) {
        say(`refresh failed: ${errorText(err)}`, "error");
      }
      setTimeout(() => void loop(), Math.max(0, POLL_INTERVAL_MS - (performance.now() - started)));
    };
    void loop();
  }

  private async poll(): Promise<void> {
    const [answers, listed, metrics] = await Promise.all([
      Promise.all(this.config.brokers.map((b) => this.brokerClients.get(b.id)!.admin().clusterStatus().catch(() => undefined))),
      this.client.admin().listBrokers().catch(() => undefined),
      fetch("/metrics", { cache: "no-store", headers: this.metricsHeaders }).then((r) => (r.ok ? r.text() : ""), () => ""),
    ]);
    const now = performance.now();
    this.partitions = mergePartitions(answers);

    let leaderChanges = 0;
    let produced = 0;
    for (const p of this.partitions) {
      // Only leaders count: a view without one (an election under way, a broker that knows none yet) is skipped.
      if (p.leader !== 0) {
        const at = `${p.leader}@${p.term}`;
        const before = this.leaders.get(keyOf(p));
        if (before !== undefined && before !== at) leaderChanges++;
        this.leaders.set(keyOf(p), at);
      }
      if (!isInternal(p.topic)) produced += p.highWatermark;
    }
    const fetched = counterSum(metrics, FETCH_RECORDS_METRIC);
    const seconds = this.previous === undefined ? 0 : (now - this.previous.atMs) / 1000;
    const rate = (a: number | undefined, b: number | undefined): number | undefined => (seconds > 0 && a !== undefined && b !== undefined ? Math.max(0, (a - b) / seconds) : undefined);
    this.history.push({ leaderChanges, producedPerSecond: rate(produced, this.previous?.produced), fetchedPerSecond: rate(fetched, this.previous?.fetched) });
    if (this.history.length > HISTORY_SAMPLES_MAX) this.history.shift();
    this.previous = { atMs: now, produced, fetched };

    const controller = answers.reduce<ClusterStatusResult["controller"] | undefined>((c, a) => (a !== undefined && (c === undefined || a.controller.term > c.term) ? a.controller : c), undefined);
    const roles = new Map((listed?.brokers ?? []).map((b) => [b.brokerId, b]));
    const up = answers.filter((a) => a !== undefined).length;
    const leaderless = this.partitions.filter((p) => p.leader === 0).length;
    $("summary").textContent =
      `${up} of ${this.config.brokers.length} brokers up · controller ${controller === undefined || controller.leader === 0 ? "none" : `broker ${controller.leader}`} · ` +
      `${this.partitions.length} partitions${leaderless === 0 ? "" : `, ${leaderless} without a leader`} · served by broker ${this.config.brokerId}`;
    $("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;

    const body = $("brokers").querySelector("tbody")!;
    body.replaceChildren(
      ...this.config.brokers.map((b, i) => {
        const answered = answers[i] !== undefined;
        const listedAs = roles.get(b.id);
        const tr = el("tr");
        tr.dataset["brokerId"] = String(b.id);
        const health = el("td");
        health.append(el("span", answered ? "up" : "down", `badge ${answered ? "ok" : "bad"}`));
        const role = el("td");
        if (controller?.leader === b.id) role.append(el("span", "leader", "badge ok"), " ");
        role.append(listedAs?.controllerRole ?? (controller?.voters?.includes(b.id) === true ? "voter" : "—"));
        const leads = this.partitions.filter((p) => p.leader === b.id && !isInternal(p.topic)).length;
        tr.append(el("td", String(b.id)), el("td", b.clientUrl, "value"), health, role, el("td", String(leads), "num"));
        return tr;
      }),
    );
    const facts: [string, string][] = [
      ["Controller", controller === undefined || controller.leader === 0 ? "no leader" : `broker ${controller.leader}, term ${controller.term}`],
      ["Voters", controller?.voters?.join(", ") ?? "—"],
      ["Learners", controller?.learners === undefined || controller.learners.length === 0 ? "none" : controller.learners.join(", ")],
      ["Leaders off preferred", String(this.partitions.filter((p) => p.leader !== 0 && p.leader !== p.preferredLeader && !isInternal(p.topic)).length)],
    ];
    $("controller").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", k), el("dd", v)]));
    this.renderPartitions();
    drawChart($<HTMLElement>("elections-chart") as unknown as SVGSVGElement, [{ values: this.history.map((s) => s.leaderChanges), cls: "changes", bars: true }]);
    drawChart($<HTMLElement>("rates-chart") as unknown as SVGSVGElement, [
      { values: this.history.map((s) => s.producedPerSecond), cls: "produced", bars: false },
      { values: this.history.map((s) => s.fetchedPerSecond), cls: "fetched", bars: false },
    ]);
    this.renderTopics();
  }

  /** The partition table, rows keyed by topic/partition and updated in place. */
  private renderPartitions(): void {
    const showInternal = $<HTMLInputElement>("show-internal").checked;
    const shownList = this.partitions.filter((p) => showInternal || !isInternal(p.topic));
    const body = $("partitions").querySelector("tbody")!;
    const keep = new Set(shownList.map(keyOf));
    for (const [k, row] of this.rows) {
      if (!keep.has(k)) {
        row.remove();
        this.rows.delete(k);
      }
    }
    for (const p of shownList) {
      const row = this.rows.get(keyOf(p)) ?? this.newRow(p);
      this.updateRow(row, p);
      body.append(row); // appending an attached row moves it: the table stays in sorted order
    }
    const hidden = this.partitions.length - shownList.length;
    $("hidden-note").textContent = hidden === 0 ? "" : `${hidden} internal partitions hidden (topics starting "__").`;
  }

  private newRow(p: ShownPartition): HTMLTableRowElement {
    const tr = el("tr");
    tr.dataset["partition"] = keyOf(p);
    for (const cls of ["", "num", "leader", "preferred", "num", "num", "lags-cell", "actions"]) tr.append(el("td", "", cls));
    tr.cells[0]!.textContent = p.topic;
    tr.cells[1]!.textContent = String(p.partition);
    const select = el("select");
    select.setAttribute("aria-label", `new leader of ${keyOf(p)}`);
    const button = el("button", "Transfer");
    button.type = "button";
    button.addEventListener("click", () => void this.transfer(p.topic, p.partition, select, button));
    tr.cells[7]!.append(select, " ", button);
    this.rows.set(keyOf(p), tr);
    return tr;
  }

  private updateRow(tr: HTMLTableRowElement, p: ShownPartition): void {
    const c = (i: number): HTMLTableCellElement => tr.cells[i]!;
    tr.dataset["leader"] = String(p.leader);
    c(2).replaceChildren(el("span", p.leader === 0 ? "none" : String(p.leader), `badge ${p.leader === 0 ? "bad" : p.leader === p.preferredLeader ? "ok" : "warn"}`));
    c(3).textContent = String(p.preferredLeader);
    c(4).textContent = String(p.term);
    c(5).textContent = p.highWatermark.toLocaleString("en-US");
    const lags = el("div", "", "lags");
    if (!p.fromLeader) lags.append(el("span", "?", "badge plain"));
    for (const r of p.replicas) {
      const cls = !r.reachable ? "bad" : r.lagEntries === 0 ? "ok" : r.recovering === true || r.repairing === true || r.lagEntries > 1000 ? "warn" : "plain";
      const chip = el("span", `${r.brokerId}: ${r.lagEntries}`, `badge ${cls}`);
      chip.title = `broker ${r.brokerId}: ${r.lagEntries} entries behind${r.reachable ? "" : ", not reachable from the leader"}${r.recovering === true ? ", recovering" : ""}${r.repairing === true ? ", repairing" : ""}`;
      lags.append(chip);
    }
    c(6).replaceChildren(lags);
    // The transfer targets: the other replicas (known from the leader's view).
    const select = c(7).querySelector("select")!;
    const targets = p.replicas.map((r) => r.brokerId).filter((id) => id !== p.leader);
    const current = [...select.options].map((o) => o.value).join(",");
    if (current !== targets.join(",")) {
      const picked = select.value;
      select.replaceChildren(...targets.map((id) => new Option(`to ${id}`, String(id))));
      if (targets.includes(Number(picked))) select.value = picked;
    }
    c(7).querySelector("button")!.disabled = targets.length === 0 || c(7).dataset["busy"] === "1";
  }

  private async transfer(topic: string, partition: number, select: HTMLSelectElement, button: HTMLButtonElement): Promise<void> {
    const toBrokerId = Number(select.value);
    if (!Number.isInteger(toBrokerId) || toBrokerId <= 0) return;
    const cell = button.parentElement as HTMLElement;
    cell.dataset["busy"] = "1";
    button.disabled = true;
    say(`moving the leader of ${topic}/${partition} to broker ${toBrokerId}…`);
    try {
      const r = await this.client.admin().transferLeader({ topic, partition, toBrokerId });
      say(`${topic}/${partition}: broker ${r.leader} leads (term ${r.term})`, "done");
    } catch (err) {
      say(`transfer of ${topic}/${partition} failed: ${errorText(err)}`, "error");
    } finally {
      delete cell.dataset["busy"];
      button.disabled = false;
    }
  }

  private async rebalance(button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    say("moving leaders back to their preferred replicas…");
    try {
      const moves = await this.client.admin().rebalanceLeaders();
      say(moves.length === 0 ? "every leader is already its preferred replica" : `${moves.length} leader move${moves.length === 1 ? "" : "s"} started`, "done");
    } catch (err) {
      say(`rebalance failed: ${errorText(err)}`, "error");
    } finally {
      button.disabled = false;
    }
  }

  /** The topic picker's choices: the non-internal topics (a choice made stays). */
  private renderTopics(): void {
    const select = $<HTMLSelectElement>("records-topic");
    const topics = [...new Set(this.partitions.filter((p) => !isInternal(p.topic)).map((p) => p.topic))];
    if ([...select.options].map((o) => o.value).join("\n") === topics.join("\n")) return;
    const picked = select.value;
    select.replaceChildren(...topics.map((t) => new Option(t, t)));
    if (topics.includes(picked)) select.value = picked;
  }

  /** Read the last LATEST_RECORDS_MAX records of each partition of the picked topic and show the newest. */
  private async showLatest(button: HTMLButtonElement): Promise<void> {
    const topic = $<HTMLSelectElement>("records-topic").value;
    if (topic === "") return;
    const ranges = this.partitions
      .filter((p) => p.topic === topic && p.highWatermark > p.logStartOffset)
      .map((p) => ({ partition: p.partition, from: Math.max(p.logStartOffset, p.highWatermark - LATEST_RECORDS_MAX), to: p.highWatermark }));
    const body = $("records").querySelector("tbody")!;
    if (ranges.length === 0) {
      const tr = el("tr");
      tr.append(Object.assign(el("td", `${topic} has no records`, "note"), { colSpan: 5 }));
      body.replaceChildren(tr);
      return;
    }
    button.disabled = true;
    const wanted = ranges.reduce((n, r) => n + (r.to - r.from), 0);
    const got: ConsumerRecord[] = [];
    const consumer = this.client.consumer({ maxWaitMs: 200 });
    const giveUp = setTimeout(() => void consumer.stop(), LATEST_READ_MS_MAX);
    try {
      consumer.assign(ranges.map((r) => ({ topic, partition: r.partition, from: { offset: r.from } })));
      for await (const r of consumer.records()) {
        const range = ranges.find((x) => x.partition === r.partition);
        if (range !== undefined && r.offset < range.to) got.push(r);
        if (got.length >= wanted) break;
      }
    } catch (err) {
      say(`reading ${topic} failed: ${errorText(err)}`, "error");
    } finally {
      clearTimeout(giveUp);
      await consumer.stop();
      button.disabled = false;
    }
    got.sort((a, b) => b.timestampMs - a.timestampMs || b.offset - a.offset);
    body.replaceChildren(
      ...got.slice(0, LATEST_RECORDS_MAX).map((r) => {
        const tr = el("tr");
        tr.append(el("td", String(r.partition), "num"), el("td", String(r.offset), "num"), el("td", new Date(r.timestampMs).toLocaleTimeString()), el("td", shown(r.key), "value"), el("td", shown(r.value), "value"));
        return tr;
      }),
    );
  }
}

/** An HTTP Basic Authorization value (RFC 7617, UTF-8). */
function basicAuthorization(username: string, password: string): string {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return `Basic ${btoa(binary)}`;
}

/** Load the config, log in when the brokers ask for it, and start. */
async function main(): Promise<void> {
  const response = await fetch("/console/config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`GET /console/config.json answered ${response.status}`);
  const config = (await response.json()) as ConsoleConfig;
  if (config.authentication !== "scram") {
    new Console(config, undefined).start();
    return;
  }
  const form = $<HTMLFormElement>("login");
  form.hidden = false;
  $("summary").textContent = "log in to see the cluster";
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const sasl: SaslOptions = { mechanism: "scram-sha-256", username: $<HTMLInputElement>("login-user").value, password: $<HTMLInputElement>("login-password").value };
    const c = new Console(config, sasl);
    $("login-error").textContent = "";
    c.check().then(
      () => {
        form.hidden = true;
        c.start();
      },
      (err: unknown) => {
        $("login-error").textContent = errorText(err);
        void c.close();
      },
    );
  });
}

main().catch((err: unknown) => say(`the console could not start: ${errorText(err)}`, "error"));
