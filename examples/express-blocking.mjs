// An express app with body parsing whose handlers call another service with a
// blocking client. Under greenpatch/register every middleware and handler
// runs in a green thread (express.json() calls next() from a stream
// callback; the router's layers are patched to start one there), so a
// handler is written top to bottom: parse, call the price service once per
// item with http.getSync, answer. Requests are served concurrently.
//
//   node --import greenpatch/register express-blocking.mjs [port]
//   curl -H 'content-type: application/json' -d '{"items":["apple","pear"]}' 127.0.0.1:<port>/quote
import http from 'node:http';
import express from 'express';
import { sleep } from 'greenpatch';

const port = Number(process.argv[2] ?? 8000);

// The second service: prices, answered after a short delay as a real backend would.
const prices = { apple: 30, pear: 45, plum: 20 };
const priceService = http.createServer((req, res) => {
  const item = decodeURIComponent(req.url.slice('/price/'.length));
  sleep(20);
  if (!(item in prices)) {
    res.statusCode = 404;
    res.end('unknown item');
    return;
  }
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ item, cents: prices[item] }));
});
priceService.listen(0, '127.0.0.1');
sleep(0); // let it bind; top-level code may block
const priceBase = `http://127.0.0.1:${priceService.address().port}`;

const app = express();
app.use(express.json());

app.post('/quote', (req, res) => {
  const items = req.body?.items;
  if (!Array.isArray(items)) {
    res.status(400).json({ error: 'expected {"items": [...]}' });
    return;
  }
  const lines = items.map((item) => {
    const reply = http.getSync(`${priceBase}/price/${encodeURIComponent(item)}`); // blocks this request only
    if (reply.statusCode !== 200) throw Object.assign(new Error(`no price for ${item}`), { status: 422 });
    return JSON.parse(reply.text());
  });
  res.json({ lines, total: lines.reduce((sum, line) => sum + line.cents, 0) });
});

// A throw in a handler, after blocking too, reaches express's error middleware.
app.use((error, req, res, next) => {
  res.status(error.status ?? 500).json({ error: error.message });
});

const server = app.listen(port, '127.0.0.1');
sleep(0);
console.log(`express app listening on http://127.0.0.1:${server.address().port}`);
const close = () => {
  server.close();
  server.closeAllConnections();
  priceService.close();
  priceService.closeAllConnections();
};
process.once('SIGINT', close);
process.once('SIGTERM', close);
