import type { Duplex } from 'stream';

/**
 * Lets Node dispatch socket events that are already waiting: after a thaw, a FIN or RST the
 * server sent while the environment was frozen is read in the same event-loop turn as the
 * invocation itself, and may not have been handled yet when the handler asks for a connection.
 * One `setImmediate` hop (microseconds, no network round trip) lets it be handled first.
 */
export function letPendingSocketEventsRun(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** True when the peer already closed the socket (its FIN or a reset was read): no statement can get an answer on it. */
export function peerHasClosed(stream: Duplex | undefined): boolean {
  if (!stream) return true;
  return stream.destroyed || stream.readableEnded || !stream.writable;
}
