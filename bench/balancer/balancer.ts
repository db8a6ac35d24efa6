// A small loopback load balancer for the two-instance run: round robin over the upstreams
// given as arguments (`host:port`), keep-alive to each, X-Forwarded-For extended with the
// client's socket address as a real proxy does. The servers behind it trust it through
// TRUST_PROXY=127.0.0.1 and so take the client address the benchmark set. Prints `ready <port>`.
import { Agent, type IncomingMessage, type ServerResponse, createServer, request } from 'node:http';

const upstreams = process.argv.slice(2).map((entry) => {
  const [host = '127.0.0.1', port = '0'] = entry.split(':');
  return { host, port: Number(port) };
});
if (upstreams.length === 0) throw new Error('usage: balancer.ts host:port [host:port...]');
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
let turn = 0;

function forward(incoming: IncomingMessage, outgoing: ServerResponse): void {
  const upstream = upstreams[turn++ % upstreams.length]!;
  const forwardedFor = incoming.headers['x-forwarded-for'];
  const client = incoming.socket.remoteAddress ?? '';
  const headers = { ...incoming.headers, 'x-forwarded-for': forwardedFor === undefined ? client : `${String(forwardedFor)}, ${client}` };
  const proxied = request(
    { host: upstream.host, port: upstream.port, method: incoming.method, path: incoming.url, headers, agent },
    (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    },
  );
  proxied.on('error', () => {
    if (!outgoing.headersSent) outgoing.writeHead(502);
    outgoing.end();
  });
  incoming.pipe(proxied);
}

const server = createServer(forward);
server.keepAliveTimeout = 72_000;
server.listen(Number(process.env.PORT ?? '0'), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`ready ${typeof address === 'object' && address !== null ? address.port : ''}\n`);
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
