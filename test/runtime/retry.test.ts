import { isAuthenticationError, isTransientConnectionError } from '../../runtime/connect-errors';
import { RETRY_DEFAULTS, withConnectRetries } from '../../runtime/retry';

const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
const badPassword = Object.assign(new Error('password authentication failed for user "app"'), { code: '28P01' });
const syntax = Object.assign(new Error('syntax error at or near "SELEC"'), { code: '42601' });

function recorder() {
  const delays: number[] = [];
  return { delays, hooks: { sleep: async (ms: number) => { delays.push(ms); }, random: () => 1 } };
}

describe('withConnectRetries', () => {
  test('retries transient errors with exponentially growing, capped back-off, then gives up', async () => {
    const { delays, hooks } = recorder();
    let calls = 0;
    await expect(withConnectRetries(async () => { calls++; throw refused; }, { attempts: 6, baseDelayMs: 100, maxDelayMs: 500 }, hooks))
      .rejects.toBe(refused);
    expect(calls).toBe(6);
    expect(delays).toEqual([100, 200, 400, 500, 500]);
  });

  test('the delay is a random share of the cap (full jitter)', async () => {
    const delays: number[] = [];
    let calls = 0;
    const result = await withConnectRetries(async () => { if (++calls < 3) throw refused; return 'open'; }, { baseDelayMs: 100 },
      { sleep: async (ms) => { delays.push(ms); }, random: () => 0.25 });
    expect(result).toBe('open');
    expect(delays).toEqual([25, 50]);
  });

  test('errors that are not about the connection fail at once', async () => {
    const { delays, hooks } = recorder();
    let calls = 0;
    await expect(withConnectRetries(async () => { calls++; throw syntax; }, {}, hooks)).rejects.toBe(syntax);
    expect(calls).toBe(1);
    expect(delays).toEqual([]);
  });

  test('refused credentials are refreshed and retried once, without waiting', async () => {
    const { delays, hooks } = recorder();
    let refreshed = 0;
    let calls = 0;
    await expect(withConnectRetries(async () => { calls++; throw badPassword; }, {}, { ...hooks, onAuthenticationError: () => refreshed++ }))
      .rejects.toBe(badPassword);
    expect({ calls, refreshed, delays }).toEqual({ calls: 2, refreshed: 1, delays: [] });
  });

  test('with the defaults, the back-off bound doubles up to the documented 2 s cap within the 5 attempts', async () => {
    const { delays, hooks } = recorder();
    await expect(withConnectRetries(async () => { throw refused; }, {}, hooks)).rejects.toBe(refused);
    expect(delays).toEqual([250, 500, 1000, 2000]);
    expect(Math.max(...delays)).toBe(RETRY_DEFAULTS.maxDelayMs);
  });

  test('never sleeps past the time the invocation has left: the last error comes at once instead', async () => {
    const { delays, hooks } = recorder();
    let remaining = 1200;
    const sleep = async (ms: number) => { delays.push(ms); remaining -= ms; };
    let calls = 0;
    await expect(withConnectRetries(async () => { calls++; throw refused; }, {}, { ...hooks, sleep, remainingMs: () => remaining }))
      .rejects.toBe(refused);
    // 250 + 500 leave 450 ms: the next bound (1000 ms) does not fit.
    expect({ calls, delays }).toEqual({ calls: 3, delays: [250, 500] });
  });

  test('attempts must be a whole number of at least 1', async () => {
    await expect(withConnectRetries(async () => 1, { attempts: 0 })).rejects.toThrow(/at least 1/);
  });
});

describe('error classification', () => {
  test.each([
    ['ECONNRESET', { code: 'ECONNRESET' }],
    ['admin_shutdown (terminated backend)', { code: '57P01' }],
    ['cannot_connect_now (starting up)', { code: '57P03' }],
    ['too_many_connections', { code: '53300' }],
    ['MySQL too many connections', { errno: 1040 }],
    ['mysql2 lost connection', { code: 'PROTOCOL_CONNECTION_LOST' }],
    ['node-postgres closed socket', { message: 'Connection terminated unexpectedly' }],
  ])('%s is transient', (_name, error) => {
    expect(isTransientConnectionError(error)).toBe(true);
  });

  test.each([
    ['syntax error', { code: '42601' }],
    ['unique violation', { code: '23505' }],
    ['MySQL duplicate key', { errno: 1062 }],
    ['nothing', undefined],
  ])('%s is not transient', (_name, error) => {
    expect(isTransientConnectionError(error)).toBe(false);
  });

  test('authentication failures of both engines are recognised', () => {
    expect(isAuthenticationError({ code: '28P01' })).toBe(true);
    expect(isAuthenticationError({ errno: 1045 })).toBe(true);
    expect(isAuthenticationError({ code: '57P01' })).toBe(false);
  });
});
