/**
 * The certificates of a secure local cluster (`start-local --secure`), made
 * on its first start under `<dataRoot>/tls/`: ca.pem and ca-key.pem (the
 * cluster's own CA), broker-N.pem and broker-N-key.pem (valid for 127.0.0.1
 * and localhost, where local brokers listen), admin.pem and admin-key.pem (a
 * client certificate whose principal is User:admin). Later starts reuse
 * them; a broker added later gets its certificate from the same CA.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { LOCAL_ADMIN_USER } from "./local-cluster-admin.js";
import type { LocalTlsFiles } from "./local-cluster-config.js";
import { makeBrokerCertificate, makeCertificateAuthority, makeClientCertificate, type CertificateFiles } from "./security/certificates.js";

/** Directory of the certificates inside the data root. */
export const LOCAL_TLS_SUBDIR = "tls";


/** What localClusterTls made or found. */
export interface LocalClusterTls extends LocalTlsFiles {
  /** The admin client certificate. */
  readonly admin: CertificateFiles;
}

const exists = (f: CertificateFiles): boolean => existsSync(f.certFile) && existsSync(f.keyFile);

/** The TLS files of the secure local cluster under `root` (absolute) for brokers `ids`, made where missing. */
export async function localClusterTls(root: string, ids: readonly number[]): Promise<LocalClusterTls> {
  const dir = join(root, LOCAL_TLS_SUBDIR);
  const caFiles = { certFile: join(dir, "ca.pem"), keyFile: join(dir, "ca-key.pem") };
  const ca = exists(caFiles) ? caFiles : await makeCertificateAuthority(dir, "ca", "rlog local cluster CA");
  const brokers = new Map<number, CertificateFiles>();
  for (const id of ids) {
    const name = `broker-${id}`;
    const files = { certFile: join(dir, `${name}.pem`), keyFile: join(dir, `${name}-key.pem`) };
    brokers.set(id, exists(files) ? files : await makeBrokerCertificate(ca, dir, name));
  }
  const adminFiles = { certFile: join(dir, `${LOCAL_ADMIN_USER}.pem`), keyFile: join(dir, `${LOCAL_ADMIN_USER}-key.pem`) };
  const admin = exists(adminFiles) ? adminFiles : await makeClientCertificate(ca, dir, LOCAL_ADMIN_USER, LOCAL_ADMIN_USER);
  return { caFile: ca.certFile, brokers, admin };
}
