// Long polling ("comet"), eventlet's classic: `GET /poll?since=N` blocks in
// its request's green thread until there is a message newer than N (or 25 s
// pass: an empty answer, and the client polls again); `POST /send` publishes
// its body as a message. Waiting clients share one Event, replaced by each
// message: setting the old one wakes them all, and each answers with every
// message it has not seen, so none is missed or sent twice.
//
//   node --import greenpatch/register long-poll.mjs [port]
//   curl '127.0.0.1:<port>/poll?since=0'   curl -d hello 127.0.0.1:<port>/send
import http from 'node:http';
import { Event, sleep } from 'greenpatch';

const port = Number(process.argv[2] ?? 8001);
const HISTORY = 10_000; // messages kept for clients that fall behind
const messages = []; // { id, text }, ids 1, 2, 3, ...
let lastId = 0;
let news = new Event();
let waiting = 0;

function publish(text) {
  messages.push({ id: ++lastId, text });
  if (messages.length > HISTORY) messages.shift();
  const old = news;
  news = new Event();
  old.set();
  return lastId;
}

function since(id) {
  return messages.filter((m) => m.id > id);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (req.method === 'GET' && url.pathname === '/poll') {
    const after = Number(url.searchParams.get('since') ?? 0) || 0;
    if (lastId <= after) {
      waiting++;
      try {
        news.wait(25_000); // blocks this request only
      } finally {
        waiting--;
      }
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ messages: since(after), last: lastId }));
  } else if (req.method === 'POST' && url.pathname === '/send') {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const id = publish(body);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ id }));
    });
  } else if (req.method === 'GET' && url.pathname === '/stats') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ waiting, last: lastId }));
  } else {
    res.statusCode = 404;
    res.end('GET /poll?since=N, POST /send, GET /stats\n');
  }
});

server.listen(port, '127.0.0.1');
sleep(0); // let it bind; top-level code may block
console.log(`long-poll server listening on http://127.0.0.1:${server.address().port}`);
const stop = () => {
  server.close();
  server.closeAllConnections();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
