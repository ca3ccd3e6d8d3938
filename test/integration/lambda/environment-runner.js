// One simulated Lambda execution environment: loads a bundled handler once (its module scope is
// the environment's), then runs one invocation at a time as the parent sends them.
const handlerModule = require(process.argv[2]);

let queue = Promise.resolve();
process.on('message', (message) => {
  queue = queue.then(async () => {
    try {
      // Like Lambda's context: the time left before the function timeout, when the test sets one.
      const endsAt = message.timeoutMs === undefined ? undefined : Date.now() + message.timeoutMs;
      const context = { awsRequestId: String(message.id), ...(endsAt === undefined ? {} : { getRemainingTimeInMillis: () => endsAt - Date.now() }) };
      const result = await handlerModule.handler(message.event, context);
      process.send({ id: message.id, result });
    } catch (error) {
      process.send({ id: message.id, error: { message: error.message, code: error.code } });
    }
  });
});
process.send({ ready: true });
