// An HTTP server whose handlers block: each request runs in a green thread
// of its own, so a handler may sleep, call another service with getSync or
// resolve a name with dns.lookupSync, written top to bottom, while every
// other request is served meanwhile.
//
//   node --import greenpatch/register http-server.mjs [port]
//   curl 127.0.0.1:<port>/sleep/200   curl 127.0.0.1:<port>/lookup/localhost
//   curl 127.0.0.1:<port>/proxy/hello
import http from 'node:http';
import dns from 'node:dns';
import { sleep } from 'greenpatch';

const port = Number(process.argv[2] ?? 8000);
let base;

const server = http.createServer((req, res) => {
  const [, route, arg = ''] = req.url.split('/');
  switch (route) {
    case 'sleep': {
      const ms = Math.min(Number(arg) || 0, 10_000);
      sleep(ms); // blocks this request only
      res.end(`slept ${ms} ms\n`);
      return;
    }
    case 'lookup': {
      try {
        const { address, family } = dns.lookupSync(arg);
        res.end(`${arg} is ${address} (IPv${family})\n`);
      } catch (error) {
        res.statusCode = 404;
        res.end(`${arg}: ${error.code}\n`);
      }
      return;
    }
    case 'proxy': {
      // A blocking call to another HTTP service (here: this server itself).
      const upstream = http.getSync(`${base}/${arg}`);
      res.end(`upstream said ${upstream.statusCode}: ${upstream.text()}`);
      return;
    }
    default:
      res.end(`hello from ${req.url}\n`);
  }
});

server.listen(port, '127.0.0.1');
sleep(0); // let it bind; top-level code may block
base = `http://127.0.0.1:${server.address().port}`;
console.log(`http server listening on ${base}`);
process.once('SIGINT', () => server.close());
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
});
