import * as net from 'net';

interface Pair {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
}

/**
 * A TCP relay in front of a real server that injects the network faults a Lambda function meets:
 * - `goSilent()`: open connections stop carrying bytes either way, with no FIN and no reset
 *   (a failover, a lost NAT entry): the client only learns of it from its own timeouts;
 * - `closeWithFin()`: the server side closes open connections cleanly (a pooler restart, an idle
 *   timeout), so the client reads a FIN;
 * - `delayServerGreeting(ms)`: new connections get the server's first bytes late (a TLS handshake
 *   or a login behind a saturated proxy);
 * - `refuseNew(true)`: new connections are reset at once (a server that is not there).
 * It counts the connections it accepted, so tests see how many connections the client opened.
 */
export class FaultRelay {
  public static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<FaultRelay> {
    const relay = new FaultRelay(targetPort, targetHost);
    await new Promise<void>((resolve) => relay.server.listen(0, '127.0.0.1', resolve));
    return relay;
  }

  /** Connections accepted since the relay started. */
  public accepted = 0;
  private readonly server: net.Server;
  private readonly pairs = new Set<Pair>();
  private readonly silenced = new Set<net.Socket>();
  private greetingDelayMs = 0;
  private refusing = false;

  private constructor(targetPort: number, targetHost: string) {
    this.server = net.createServer((client) => {
      this.accepted++;
      if (this.refusing) {
        client.resetAndDestroy();
        return;
      }
      const upstream = net.connect(targetPort, targetHost);
      const pair = { client, upstream };
      this.pairs.add(pair);
      const close = () => {
        this.pairs.delete(pair);
        if (this.silenced.has(client)) return; // a silent connection stays open until the client gives up
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
      client.pipe(upstream);
      const delay = this.greetingDelayMs;
      if (delay > 0) {
        upstream.pause();
        setTimeout(() => { if (!this.silenced.has(client)) upstream.pipe(client); }, delay);
      } else {
        upstream.pipe(client);
      }
    });
  }

  public get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Connections open through the relay now. */
  public get openConnections(): number {
    return this.pairs.size;
  }

  /** Open connections stop forwarding both ways; nobody hears a FIN or a reset. New connections are not affected. */
  public goSilent(): number {
    const pairs = [...this.pairs];
    for (const { client, upstream } of pairs) {
      this.silenced.add(client);
      client.unpipe(upstream);
      upstream.unpipe(client);
      upstream.pause();
      // Whatever the client sends now is swallowed, as by a dead path; its own close still ends the pair.
      client.removeAllListeners('data');
      client.on('data', () => undefined);
      client.resume();
      client.on('close', () => { this.silenced.delete(client); upstream.destroy(); });
    }
    return pairs.length;
  }

  /** The server side of every open connection closes cleanly: the client reads a FIN. */
  public closeWithFin(): number {
    const pairs = [...this.pairs];
    for (const pair of pairs) {
      this.pairs.delete(pair);
      pair.upstream.unpipe(pair.client);
      pair.upstream.destroy();
      pair.client.end();
    }
    return pairs.length;
  }

  /** New connections receive the server's first bytes `ms` late. */
  public delayServerGreeting(ms: number): void {
    this.greetingDelayMs = ms;
  }

  /** New connections are reset as soon as they are accepted. */
  public refuseNew(refuse: boolean): void {
    this.refusing = refuse;
  }

  public async stop(): Promise<void> {
    for (const { client, upstream } of this.pairs) { client.destroy(); upstream.destroy(); }
    for (const client of this.silenced) client.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
