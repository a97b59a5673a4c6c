// The baseline for bench/serving: a bare fastify server with one echo route, in its own
// process (as nserve is). Prints "port <n>" once listening; exits on SIGTERM.
import Fastify from 'fastify';

const app = Fastify({ logger: false, bodyLimit: 6553500 });
app.post('/predictions/echo', async (request) => request.body ?? '');
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`port ${app.server.address().port}\n`);
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
