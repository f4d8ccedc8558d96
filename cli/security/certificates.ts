/**
 * Certificates for a cluster with TLS on, made with the openssl CLI (run with
 * execFile, never through a shell): a CA (key and self-signed certificate),
 * broker certificates signed by it, valid for 127.0.0.1, localhost and the
 * broker's own hosts (subjectAltName; brokers check each other against it),
 * and client certificates whose subject CN becomes the connection's principal.
 *
 * Keys are ECDSA P-256 (fast to make and to handshake with), written with mode
 * 0600. `cluster start-local --secure`, the bench's `--tls` and the tests use
 * this module; a production cluster would bring certificates from its own CA.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdir, rm, writeFile } from "node:fs/promises";
import { isIP } from "node:net";
import { join } from "node:path";
import { CliError } from "../errors.js";

/** Days a certificate made here stays valid: long enough for a local cluster never to notice. */
export const CERTIFICATE_VALIDITY_DAYS = 3650;

/** Longest one openssl run may take before it is taken as hung. */
const OPENSSL_TIMEOUT_MS = 30_000;

/** A PEM certificate and its key, as file paths. */
export interface CertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

const KEY_ARGS = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** Runs openssl; a missing binary becomes a CliError that says to install it. */
function openssl(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile("openssl", args, { timeout: OPENSSL_TIMEOUT_MS }, (err, _stdout, stderr) => {
      if (err === null) {
        resolve();
        return;
      }
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        reject(new CliError("OPENSSL_MISSING", "the openssl command was not found: install openssl (e.g. apt-get install openssl) to make TLS certificates"));
        return;
      }
      reject(new CliError("OPENSSL_FAILED", `openssl ${args[0] ?? ""} failed: ${stderr.trim() || err.message}`));
    });
  });
}

/** A file name safe subject value (no "/" or "=" that would break -subj). */
function subjectValue(name: string): string {
  if (!/^[A-Za-z0-9 ._@-]{1,64}$/.test(name)) throw new CliError("INVALID_ARGUMENT", `certificate name ${JSON.stringify(name)}: use 1-64 letters, digits, space, . _ @ -`);
  return name;
}

/** Makes a CA in `dir`: `<name>.pem` and `<name>-key.pem` (default name "ca"). */
export async function makeCertificateAuthority(dir: string, name = "ca", commonName = "rlog local CA"): Promise<CertificateFiles> {
  await mkdir(dir, { recursive: true });
  const files = { certFile: join(dir, `${name}.pem`), keyFile: join(dir, `${name}-key.pem`) };
  await openssl([
    "req", "-x509", ...KEY_ARGS,
    "-keyout", files.keyFile, "-out", files.certFile,
    "-days", String(CERTIFICATE_VALIDITY_DAYS),
    "-subj", `/CN=${subjectValue(commonName)}`,
    "-addext", "basicConstraints=critical,CA:TRUE",
    "-addext", "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  await chmod(files.keyFile, 0o600);
  return files;
}

/**
 * Makes a certificate signed by `ca`, in `dir` as `<name>.pem` and
 * `<name>-key.pem`, for subject CN `commonName`. With `hosts` it is a broker
 * certificate (server and client use, subjectAltName 127.0.0.1, localhost and
 * each host); without, a client certificate.
 */
async function makeSigned(ca: CertificateFiles, dir: string, name: string, commonName: string, hosts: readonly string[] | undefined, loopback = true): Promise<CertificateFiles> {
  await mkdir(dir, { recursive: true });
  const files = { certFile: join(dir, `${name}.pem`), keyFile: join(dir, `${name}-key.pem`) };
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  const lines = ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment"];
  if (hosts === undefined) {
    lines.push("extendedKeyUsage=clientAuth");
  } else {
    const names = new Set([...(loopback ? ["IP:127.0.0.1", "DNS:localhost"] : []), ...hosts.map((h) => (isIP(h) === 0 ? `DNS:${h}` : `IP:${h}`))]);
    if (names.size === 0) throw new RangeError("a broker certificate needs at least one host");
    lines.push("extendedKeyUsage=serverAuth,clientAuth", `subjectAltName=${[...names].join(",")}`);
  }
  await writeFile(ext, lines.join("\n") + "\n");
  try {
    await openssl(["req", "-new", ...KEY_ARGS, "-keyout", files.keyFile, "-out", csr, "-subj", `/CN=${subjectValue(commonName)}`]);
    await chmod(files.keyFile, 0o600);
    await openssl([
      "x509", "-req", "-in", csr,
      "-CA", ca.certFile, "-CAkey", ca.keyFile,
      "-set_serial", `0x${randomBytes(16).toString("hex").replace(/^[89a-f]/, "1")}`,
      "-days", String(CERTIFICATE_VALIDITY_DAYS),
      "-extfile", ext,
      "-out", files.certFile,
    ]);
  } finally {
    await rm(csr, { force: true });
    await rm(ext, { force: true });
  }
  return files;
}

/**
 * A broker certificate: CN `name`, valid for 127.0.0.1, localhost and `hosts`
 * (IPs or DNS names); with `loopback` false, for `hosts` only.
 */
export function makeBrokerCertificate(ca: CertificateFiles, dir: string, name: string, hosts: readonly string[] = [], loopback = true): Promise<CertificateFiles> {
  return makeSigned(ca, dir, name, name, hosts, loopback);
}

/** A client certificate whose subject CN (the principal "User:<cn>") is `cn`. */
export function makeClientCertificate(ca: CertificateFiles, dir: string, name: string, cn: string): Promise<CertificateFiles> {
  return makeSigned(ca, dir, name, cn, undefined);
}
