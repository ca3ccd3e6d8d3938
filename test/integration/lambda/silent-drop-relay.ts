import * as net from 'net';

/**
 * A TCP relay in front of a server that can drop every open connection silently: the server side
 * is closed, but the client hears nothing until it next sends, and then gets a reset. That is what
 * a Lambda function sees when a NAT or Hyperplane idle timeout or a proxy failover forgot its
 * connection while the environment was frozen; the client cannot notice it without a round trip.
 */
export class SilentDropRelay {
  public static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<SilentDropRelay> {
    const relay = new SilentDropRelay(targetPort, targetHost);
    await new Promise<void>((resolve) => relay.server.listen(0, '127.0.0.1', resolve));
    return relay;
  }

  private readonly server: net.Server;
  private readonly pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();

  private constructor(targetPort: number, targetHost: string) {
    this.server = net.createServer((client) => {
      const upstream = net.connect(targetPort, targetHost);
      const pair = { client, upstream };
      this.pairs.add(pair);
      client.pipe(upstream);
      upstream.pipe(client);
      const close = () => { this.pairs.delete(pair); client.destroy(); upstream.destroy(); };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
  }

  public get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Forgets every open connection: the server's side closes now, the client's on its next send. */
  public dropSilently(): number {
    const dropped = [...this.pairs];
    for (const pair of dropped) {
      this.pairs.delete(pair);
      const { client, upstream } = pair;
      client.unpipe(upstream);
      upstream.unpipe(client);
      upstream.removeAllListeners('close').removeAllListeners('error').on('error', () => undefined);
      upstream.destroy();
      client.removeAllListeners('data').removeAllListeners('close');
      client.once('data', () => client.resetAndDestroy());
      client.resume();
    }
    return dropped.length;
  }

  public async stop(): Promise<void> {
    for (const { client, upstream } of this.pairs) { client.destroy(); upstream.destroy(); }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
