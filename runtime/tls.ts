/**
 * TLS is always on and verified. RDS Proxy endpoints present ACM certificates that chain to the
 * public Amazon roots already in Node's trust store, so the default needs no CA file. A direct
 * connection to an RDS instance presents a certificate of the RDS CA instead: pass the RDS CA
 * bundle as `ca` (or point NODE_EXTRA_CA_CERTS at it).
 */
export interface TlsOptions {
  /**
   * CA certificates (PEM) to trust instead of Node's public roots.
   * @default Node's bundled roots plus NODE_EXTRA_CA_CERTS
   */
  readonly ca?: string | Buffer | string[] | Buffer[];
  /**
   * Name the server certificate must carry.
   * @default the host connected to
   */
  readonly servername?: string;
  /**
   * Connect without TLS. Only for a local server without TLS; the proxy refuses such connections.
   * @default false
   */
  readonly disable?: boolean;
}

/** Options for `tls.connect` that verify the chain and the host name. */
export interface VerifiedTls {
  readonly rejectUnauthorized: true;
  readonly ca?: string | Buffer | string[] | Buffer[];
  readonly servername?: string;
}

/** The TLS options both drivers take, or false when TLS is disabled. */
export function verifiedTls(host: string, options: TlsOptions = {}): VerifiedTls | false {
  if (options.disable) return false;
  const servername = options.servername ?? (isIpAddress(host) ? undefined : host);
  return { rejectUnauthorized: true, ...(options.ca !== undefined ? { ca: options.ca } : {}), ...(servername ? { servername } : {}) };
}

function isIpAddress(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':');
}
