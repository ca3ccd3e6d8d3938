import * as http from 'http';
import { AddressInfo } from 'net';

/**
 * A local stand-in for the one Secrets Manager call the runtime helper makes (GetSecretValue), so
 * a simulated execution environment in another process can run secret mode end to end: the SDK
 * is pointed at it with AWS_ENDPOINT_URL_SECRETS_MANAGER. It speaks the JSON protocol only as far
 * as that call needs; the database side stays real.
 */
export class SecretsManagerStub {
  public static async start(secrets: Record<string, object>): Promise<SecretsManagerStub> {
    const stub = new SecretsManagerStub(secrets);
    await new Promise<void>((resolve) => stub.server.listen(0, '127.0.0.1', resolve));
    return stub;
  }

  /** GetSecretValue calls received, by secret id. */
  public readonly calls: string[] = [];
  private readonly server: http.Server;

  private constructor(private readonly secrets: Record<string, object>) {
    this.server = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => { body += chunk; });
      request.on('end', () => {
        const target = request.headers['x-amz-target'];
        const { SecretId } = JSON.parse(body || '{}');
        const secret = this.secrets[SecretId];
        if (target !== 'secretsmanager.GetSecretValue' || !secret) {
          response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
          response.end(JSON.stringify({ __type: 'ResourceNotFoundException', message: `no secret ${SecretId}` }));
          return;
        }
        this.calls.push(SecretId);
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify({ ARN: SecretId, Name: 'db', VersionId: `v${this.calls.length}`, SecretString: JSON.stringify(secret) }));
      });
    });
  }

  /** Replaces a secret's value, as a rotation does. */
  public rotate(secretId: string, value: object): void {
    this.secrets[secretId] = value;
  }

  /** Environment variables that send the SDK here with throwaway credentials. */
  public environment(): Record<string, string> {
    const { port } = this.server.address() as AddressInfo;
    return {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${port}`,
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      AWS_REGION: 'eu-west-1',
    };
  }

  public stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
