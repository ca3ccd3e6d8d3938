import * as fs from 'fs';
import * as path from 'path';
import { OsUser, runCommand } from './server-process';

/** A throwaway CA and a server certificate it signed, for `localhost` / `127.0.0.1`. */
export interface TestCertificates {
  /** The CA certificate file clients trust. */
  readonly caFile: string;
  /** The CA certificate, PEM, for `ssl.ca` in client configs. */
  readonly caPem: string;
  /** The server certificate (CN localhost, SAN DNS:localhost, IP:127.0.0.1). */
  readonly certFile: string;
  /** The server's private key: mode 0600, owned by the server's account. */
  readonly keyFile: string;
}

// Our own minimal config, so the result does not depend on the host's openssl.cnf defaults.
const OPENSSL_CONFIG = `
[req]
distinguished_name = dn
prompt = no
[dn]
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

/**
 * Creates the CA and server certificate in `dir` (created if missing) with the openssl CLI.
 * EC P-256 keys because they take milliseconds to generate, unlike RSA. `owner` gets the directory
 * and the key files: PostgreSQL refuses a key that is group/world-readable or owned by someone else.
 */
export async function createTestCertificates(dir: string, owner?: OsUser): Promise<TestCertificates> {
  fs.mkdirSync(dir, { recursive: true });
  const file = (name: string) => path.join(dir, name);
  fs.writeFileSync(file('openssl.cnf'), OPENSSL_CONFIG);
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

  await runCommand('openssl', ['req', '-config', file('openssl.cnf'), '-x509', ...newKey,
    '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '7', '-subj', '/CN=cdk-serverless-rds test CA', '-extensions', 'ca']);
  await runCommand('openssl', ['req', '-config', file('openssl.cnf'), '-new', ...newKey,
    '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=localhost']);
  await runCommand('openssl', ['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'),
    '-set_serial', `0x${Date.now().toString(16)}`, '-days', '7', '-out', file('server.crt'),
    '-extfile', file('openssl.cnf'), '-extensions', 'server']);
  fs.rmSync(file('server.csr'));

  for (const key of ['ca.key', 'server.key']) {
    fs.chmodSync(file(key), 0o600);
    if (owner) fs.chownSync(file(key), owner.uid, owner.gid);
  }
  for (const cert of ['ca.crt', 'server.crt']) fs.chmodSync(file(cert), 0o644);
  if (owner) fs.chownSync(dir, owner.uid, owner.gid);

  return {
    caFile: file('ca.crt'),
    caPem: fs.readFileSync(file('ca.crt'), 'utf8'),
    certFile: file('server.crt'),
    keyFile: file('server.key'),
  };
}
