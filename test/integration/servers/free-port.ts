import * as net from 'net';

/**
 * A TCP port on 127.0.0.1 that was free a moment ago: the OS picks it (port 0), we release it and
 * hand the number to a server. Another process could grab it in between, but the window is tiny
 * and servers fail loudly on a taken port.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
