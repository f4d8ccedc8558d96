import { test } from "node:test";
import assert from "node:assert/strict";
import { loadConfig, type ConfigInput } from "../../config/index.js";
import { assertOneIssue, issuesOf, MINIMAL, tempConfig } from "./helpers.js";

/** Loads MINIMAL plus `extra` from a temporary file; returns the file path and a loader. */
function fromFile(extra: Record<string, unknown>): { file: string; load: () => unknown } {
  const file = tempConfig({ ...MINIMAL, ...extra });
  return { file, load: () => loadConfig({ file, env: {} }) };
}

const THREE_BROKERS = [
  { id: 1, host: "127.0.0.1", clientPort: 9092, peerPort: 9192 },
  { id: 2, host: "127.0.0.1", clientPort: 9093, peerPort: 9193 },
  { id: 3, host: "127.0.0.1", clientPort: 9094, peerPort: 9194 },
];
const SECRET = "0123456789abcdef";

test("unknown keys are refused with a suggestion, at every level", () => {
  let c = fromFile({ brokerID: 1 });
  assertOneIssue(c.load, `${c.file}: brokerID: unknown key (did you mean "brokerId"?)`);
  c = fromFile({ raft: { electionTimeoutTick: 60 } });
  assertOneIssue(c.load, `${c.file}: raft.electionTimeoutTick: unknown key (did you mean "raft.electionTimeoutTicks"?)`);
  c = fromFile({ fsync: false });
  assertOneIssue(c.load, `${c.file}: fsync: unknown key (did you mean "storage.fsync"?)`);
  c = fromFile({ storage: { retentionMS: 5 } });
  assertOneIssue(c.load, `${c.file}: storage.retentionMS: unknown key (did you mean "storage.retentionMs"?)`);
  c = fromFile({ colour: "blue" });
  assertOneIssue(c.load, `${c.file}: colour: unknown key`);
  c = fromFile({ brokers: [{ id: 1, host: "127.0.0.1", clientport: 9092, clientPort: 9092, peerPort: 9192 }] });
  assertOneIssue(c.load, `${c.file}: brokers[0].clientport: unknown key (did you mean "clientPort"?)`);
  c = fromFile({ toString: 1 });
  assertOneIssue(c.load, `${c.file}: toString: unknown key`);
});

test("wrong types are refused, naming the key and the value", () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ raft: { electionTimeoutTicks: "abc" } }, 'raft.electionTimeoutTicks: must be an integer in 3..1000000, got "abc"'],
    [{ clientPort: "9092" }, 'clientPort: must be an integer in 1..65535, got "9092"'],
    [{ storage: { fsync: "yes" } }, 'storage.fsync: must be true or false, got "yes"'],
    [{ host: 127 }, "host: must be a string of 1..253 characters, got 127"],
    [{ dataDir: null }, "dataDir: must be a string of 1..4096 characters, got null"],
    [{ logLevel: "verbose" }, 'logLevel: must be one of "trace", "debug", "info", "warn", "error", "fatal", "silent", got "verbose"'],
    [{ raft: 5 }, "raft: must be an object with keys electionTimeoutTicks, heartbeatIntervalTicks, preferredLeaderCheckTicks, inflightAppendsMax, inflightBytesMax, appendBytesMax, uncommittedEntriesMax, uncommittedBytesMax, recentEntriesBytesMax, quiesce, got 5"],
    [
      { limits: [] },
      "limits: must be an object with keys frameBytesMax, recordBytesMax, batchRecordsMax, batchBytesMax, batchDecompressedBytesMax, topicNameLengthMax, partitionsMax, replicationFactorMax, connectionsMax, inflightRequestsMax, fetchBytesMax, fetchWaitMsMax, connectionIdleMs, connectionsPerAddressMax, connectionResponseBytesMax, brokerResponseBytesMax, sendStallMs, sendStallPressureMs, got []",
    ],
    [{ brokers: {} }, "brokers: must be a non-empty list of { id, host, clientPort, peerPort }, got {}"],
    [{ brokers: [] }, "brokers: must be a non-empty list of { id, host, clientPort, peerPort }, got []"],
    [{ brokers: [7] }, "brokers[0]: must be an object { id, host, clientPort, peerPort }, got 7"],
    [{ controllerVoters: "1,2" }, 'controllerVoters: must be a non-empty list of distinct broker ids, got "1,2"'],
    [{ controllerVoters: [1, "2"] }, 'controllerVoters[1]: must be an integer in 1..2147483647, got "2"'],
  ];
  for (const [extra, expected] of cases) {
    const c = fromFile(extra);
    assertOneIssue(c.load, `${c.file}: ${expected}`);
  }
});

test("out of range, negative and non-integer numbers are refused", () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ raft: { electionTimeoutTicks: 2 } }, "raft.electionTimeoutTicks: must be an integer in 3..1000000, got 2"],
    [{ clientPort: 70000 }, "clientPort: must be an integer in 1..65535, got 70000"],
    [{ clientPort: 0 }, "clientPort: must be an integer in 1..65535, got 0"],
    [{ brokerId: -1 }, "brokerId: must be an integer in 1..2147483647, got -1"],
    [{ raftTickMs: -10 }, "raftTickMs: must be an integer in 1..1000, got -10"],
    [{ raft: { preferredLeaderCheckTicks: -1 } }, "raft.preferredLeaderCheckTicks: must be an integer in 0..100000000, got -1"],
    [{ storage: { retentionBytes: -2 } }, "storage.retentionBytes: must be an integer >= 1, or -1 (unlimited), got -2"],
    [{ storage: { retentionMs: 0 } }, "storage.retentionMs: must be an integer >= 1, or -1 (unlimited), got 0"],
    [{ storage: { segmentBytes: 1.5 } }, "storage.segmentBytes: must be an integer >= 1024, got 1.5"],
    [{ limits: { topicNameLengthMax: 250 } }, "limits.topicNameLengthMax: must be an integer in 1..249, got 250"],
    [{ limits: { fetchWaitMsMax: 1e300 } }, "limits.fetchWaitMsMax: must be an integer in 0..86400000, got 1e+300"],
    [{ defaultPartitions: 0 }, "defaultPartitions: must be an integer in 1..100000, got 0"],
    [{ clusterSecret: "short" }, 'clusterSecret: must be a string of 16..1024 characters, or null, got "short"'],
    [{ brokers: [{ id: 0, host: "h", clientPort: 1, peerPort: 2 }] }, "brokers[0].id: must be an integer in 1..2147483647, got 0"],
  ];
  for (const [extra, expected] of cases) {
    const c = fromFile(extra);
    assertOneIssue(c.load, `${c.file}: ${expected}`);
  }
});

test("missing required keys are named, with where to set them", () => {
  const file = tempConfig({ clientPort: 9092 });
  assert.deepEqual(issuesOf(() => loadConfig({ file, env: {} })), [
    `${file}: brokerId: required but not set (set it in the config file or with RLOG_BROKER_ID)`,
    `${file}: dataDir: required but not set (set it in the config file or with RLOG_DATA_DIR)`,
  ]);
  assertOneIssue(
    () => loadConfig({ env: {}, overrides: { dataDir: "d" } }),
    "config: brokerId: required but not set (set it in the config file or with RLOG_BROKER_ID)",
  );
  const c = fromFile({ brokers: [{ id: 1, host: "h", clientPort: 1 }] });
  assertOneIssue(c.load, `${c.file}: brokers[0].peerPort: required but not set`);
});

test("inconsistent keys are refused, naming both", () => {
  const cluster = { brokerId: 1, brokers: THREE_BROKERS, clusterSecret: SECRET };
  const cases: [Record<string, unknown>, string][] = [
    [
      { raft: { electionTimeoutTicks: 10, heartbeatIntervalTicks: 10 } },
      "raft.heartbeatIntervalTicks: must be less than raft.electionTimeoutTicks (10): followers would time out between heartbeats, got 10",
    ],
    [{ raft: { appendBytesMax: 2048, inflightBytesMax: 1024 } }, "raft.appendBytesMax: must be at most raft.inflightBytesMax (1024), got 2048"],
    [{ storage: { mapSizeBytes: 1048576, segmentBytes: 2097152 } }, "storage.segmentBytes: must be at most storage.mapSizeBytes (1048576): a segment must fit in the LMDB map, got 2097152"],
    [{ limits: { recordBytesMax: 8388608 } }, "limits.recordBytesMax: must be less than limits.frameBytesMax (8388608): a record must fit in a frame, got 8388608"],
    [{ limits: { fetchBytesMax: 9000000 } }, "limits.fetchBytesMax: must be less than limits.frameBytesMax (8388608): a fetch response must fit in a frame, got 9000000"],
    [{ limits: { batchBytesMax: 8388608 } }, "limits.batchBytesMax: must be less than limits.frameBytesMax (8388608): a produced batch must fit in a frame, got 8388608"],
    [{ limits: { batchBytesMax: 1048576, batchDecompressedBytesMax: 2048 } }, "limits.batchBytesMax: must be at most limits.batchDecompressedBytesMax (2048): a batch may decompress to at least its own size, got 1048576"],
    [{ defaultPartitions: 20, limits: { partitionsMax: 10 } }, "defaultPartitions: must be at most limits.partitionsMax (10), got 20"],
    [{ defaultReplicationFactor: 2 }, "defaultReplicationFactor: must be at most the number of brokers (1), got 2"],
    [{ ...cluster, defaultReplicationFactor: 3, limits: { replicationFactorMax: 2 } }, "defaultReplicationFactor: must be at most limits.replicationFactorMax (2), got 3"],
    [{ clientPort: 9000, peerPort: 9000 }, "peerPort: must differ from clientPort (both 9000)"],
    [{ ...cluster, brokerId: 4 }, "brokerId: 4 is not in brokers (ids 1, 2, 3)"],
    [{ ...cluster, clientPort: 9095 }, "clientPort: 9095 differs from this broker's entry brokers[0].clientPort (9092)"],
    [{ ...cluster, controllerVoters: [1, 2, 5] }, "controllerVoters: 5 is not a broker id (brokers: 1, 2, 3)"],
    [{ ...cluster, controllerVoters: [1, 1] }, "controllerVoters[1]: duplicate broker id 1"],
    [{ ...cluster, clusterSecret: null }, "clusterSecret: required when brokers lists more than one broker (peers prove membership with it), got null: set the same random string of 16+ characters on every broker, in the config file or with RLOG_CLUSTER_SECRET (e.g. RLOG_CLUSTER_SECRET=$(openssl rand -hex 32)); rlog-cli cluster start-local makes one for its local clusters"],
    [
      { ...cluster, brokers: [...THREE_BROKERS.slice(0, 2), { id: 3, host: "127.0.0.1", clientPort: 9094, peerPort: 9093 }] },
      "brokers[2].peerPort: port 9093 on 127.0.0.1 is already used by brokers[1].clientPort",
    ],
    [
      { ...cluster, brokers: [...THREE_BROKERS.slice(0, 2), { id: 2, host: "127.0.0.2", clientPort: 9094, peerPort: 9194 }] },
      "brokers[2].id: duplicate broker id 2 (also brokers[1].id)",
    ],
  ];
  for (const [extra, expected] of cases) {
    const c = fromFile(extra);
    assertOneIssue(c.load, `${c.file}: ${expected}`);
  }
});

test("a broker may be left out of controllerVoters: it follows the metadata as a controller learner", () => {
  const config = loadConfig({ env: {}, overrides: { brokerId: 3, dataDir: "d", brokers: THREE_BROKERS, controllerVoters: [1, 2], clusterSecret: SECRET } });
  assert.deepEqual(config.controllerVoters, [1, 2]);
  assert.equal(config.brokerId, 3);
});

test("the same port on different hosts is fine", () => {
  const brokers = THREE_BROKERS.map((b, i) => ({ ...b, host: `10.0.0.${i + 1}`, clientPort: 9092, peerPort: 9192 }));
  const config = loadConfig({ env: {}, overrides: { brokerId: 2, dataDir: "d", brokers, clusterSecret: SECRET } });
  assert.equal(config.host, "10.0.0.2");
});

test("bind and advertised addresses: 0.0.0.0 and :: bind every interface but are never advertised", () => {
  const brokers = THREE_BROKERS.map((b, i) => ({ ...b, host: `10.0.0.${i + 1}`, clientPort: 9092, peerPort: 9192 }));
  for (const bind of ["0.0.0.0", "::", "10.0.0.2"]) {
    const config = loadConfig({ env: {}, overrides: { brokerId: 2, dataDir: "d", host: bind, brokers, clusterSecret: SECRET } });
    assert.equal(config.host, bind, "the listeners bind it");
    assert.equal(config.brokers[1]?.host, "10.0.0.2", "the entry stays the advertised address");
  }
  const cluster = { brokerId: 1, clusterSecret: SECRET };
  for (const wildcard of ["0.0.0.0", "::", "[::]", "0:0:0:0:0:0:0:0"]) {
    const c = fromFile({ ...cluster, brokers: [THREE_BROKERS[0], { ...THREE_BROKERS[1], host: wildcard }, THREE_BROKERS[2]] });
    assertOneIssue(
      c.load,
      `${c.file}: brokers[1].host: ${wildcard} is where a listener binds, not an address clients and peers can reach: advertise this broker's own address or host name (bind to ${wildcard} with the top-level host)`,
    );
  }
  // A lone broker without `brokers` advertises its bind address: a wildcard there needs an explicit entry.
  const lone = fromFile({ host: "0.0.0.0" });
  assertOneIssue(
    lone.load,
    `${lone.file}: host: 0.0.0.0 binds every interface but is no address to hand to clients; also set brokers to say where this broker is reached, e.g. [{ "id": 1, "host": "10.0.0.5", "clientPort": 9092, "peerPort": 9192 }]`,
  );
  const fixed = loadConfig({ env: {}, overrides: { ...MINIMAL, host: "0.0.0.0", brokers: [{ id: 1, host: "10.0.0.5", clientPort: 9092, peerPort: 9192 }] } });
  assert.equal(fixed.host, "0.0.0.0");
});

test("every problem is reported at once, in layer order", () => {
  const file = tempConfig({ brokerId: "one", dataDir: "d", raft: { electionTimeoutTick: 5 } });
  const overrides: ConfigInput = { raftTickMs: 0 };
  const issues = issuesOf(() => loadConfig({ file, env: { RLOG_LOG_LEVL: "debug" }, overrides }));
  assert.deepEqual(issues, [
    `${file}: raft.electionTimeoutTick: unknown key (did you mean "raft.electionTimeoutTicks"?)`,
    "env: RLOG_LOG_LEVL: unknown config variable (did you mean RLOG_LOG_LEVEL?)",
    `${file}: brokerId: must be an integer in 1..2147483647, got "one"`,
    "overrides: raftTickMs: must be an integer in 1..1000, got 0",
  ]);
});

test("tls: certFile and keyFile together; caFile with client certificates or peers; clientAuth only with TLS on", () => {
  const tls = { certFile: "b.pem", keyFile: "b-key.pem" };
  const ok = loadConfig({ env: {}, overrides: { ...MINIMAL, tls } });
  assert.deepEqual(ok.tls, { certFile: "b.pem", keyFile: "b-key.pem", caFile: null, clientAuth: "none" });
  assert.deepEqual(loadConfig({ env: {}, overrides: MINIMAL }).tls, { certFile: null, keyFile: null, caFile: null, clientAuth: "none" }, "off by default");
  const cluster = { brokerId: 1, brokers: THREE_BROKERS, clusterSecret: SECRET };
  const cases: [Record<string, unknown>, string][] = [
    [{ tls: { certFile: "b.pem" } }, "tls.certFile: tls.certFile and tls.keyFile go together: set both to turn TLS on, or neither"],
    [{ tls: { keyFile: "b-key.pem" } }, "tls.keyFile: tls.certFile and tls.keyFile go together: set both to turn TLS on, or neither"],
    [{ tls: { ...tls, clientAuth: "required" } }, 'tls.caFile: required when tls.clientAuth is "required": client certificates are checked against it'],
    [{ ...cluster, tls }, "tls.caFile: required when TLS is on and brokers lists more than one broker: brokers check each other's certificates against it"],
    [{ tls: { clientAuth: "optional" } }, 'tls.clientAuth: must be "none" while TLS is off (set tls.certFile and tls.keyFile), got "optional"'],
    [{ tls: { ...tls, clientAuth: "sometimes" } }, 'tls.clientAuth: must be one of "none", "optional", "required", got "sometimes"'],
    [{ tls: { certFle: "x" } }, 'tls.certFle: unknown key (did you mean "tls.certFile"?)'],
  ];
  for (const [extra, expected] of cases) {
    const c = fromFile(extra);
    assertOneIssue(c.load, `${c.file}: ${expected}`);
  }
  const full = loadConfig({ env: {}, overrides: { ...MINIMAL, ...cluster, tls: { ...tls, caFile: "ca.pem", clientAuth: "required" } } });
  assert.equal(full.tls.clientAuth, "required");
});

test("allowedOrigins: a list of distinct origins or \"*\"; anything else is named by its index", () => {
  const ok = loadConfig({ file: tempConfig({ ...MINIMAL, allowedOrigins: ["https://app.example.com", "http://localhost:8080", "http://[::1]:3000", "*"] }), env: {} });
  assert.deepEqual(ok.allowedOrigins, ["https://app.example.com", "http://localhost:8080", "http://[::1]:3000", "*"]);
  assert.deepEqual(loadConfig({ file: tempConfig(MINIMAL), env: {} }).allowedOrigins, [], "empty by default: no browser may connect");
  const cases: [unknown, string][] = [
    ["https://app.example.com", 'allowedOrigins: must be a list of at most 1000 distinct strings of 1..2048 characters, got "https://app.example.com"'],
    [["https://app.example.com/"], 'allowedOrigins[0]: must be "*" or an origin like "https://app.example.com" (scheme://host[:port], no path), got "https://app.example.com/"'],
    [["https://App.example.com"], 'allowedOrigins[0]: must be "*" or an origin like "https://app.example.com" (scheme://host[:port], no path), got "https://App.example.com"'],
    [["a://b", 7], "allowedOrigins[1]: must be a string of 1..2048 characters, got 7"],
    [["https://a.example", "https://a.example"], 'allowedOrigins[1]: duplicate "https://a.example"'],
  ];
  for (const [value, reason] of cases) {
    const c = fromFile({ allowedOrigins: value });
    assertOneIssue(c.load, `${c.file}: ${reason}`);
  }
});

test("response budgets and stall bounds must nest: 2 frames <= connection <= broker, pressure <= stall", () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ connectionResponseBytesMax: (1 << 24) - 1 }, "limits.connectionResponseBytesMax: must be at least twice limits.frameBytesMax (16777216): a fetch reserves its records as read plus the frame that copies them, got 16777215"],
    [{ connectionResponseBytesMax: 1 << 30, brokerResponseBytesMax: 1 << 29 }, "limits.connectionResponseBytesMax: must be at most limits.brokerResponseBytesMax (536870912): one connection's response budget must fit the broker's, got 1073741824"],
    [{ sendStallMs: 1000, sendStallPressureMs: 2000 }, "limits.sendStallPressureMs: must be at most limits.sendStallMs (1000), got 2000"],
  ];
  for (const [limits, reason] of cases) {
    const c = fromFile({ limits });
    assertOneIssue(c.load, `${c.file}: ${reason}`);
  }
});
