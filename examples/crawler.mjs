// The crawler: fetch many URLs at once with GreenPool.imap, each fetch a
// plain blocking getSync call, results in input order. It starts its own
// little web site on loopback (pages that answer slowly and link to each
// other), crawls it breadth-first, prints what it found and stops.
//
//   node --import greenpatch/register crawler.mjs [pages] [concurrency]
import http from 'node:http';
import { GreenPool, sleep } from 'greenpatch';

const pages = Number(process.argv[2] ?? 40);
const concurrency = Number(process.argv[3] ?? 10);

// The site: page n links to pages 2n+1 and 2n+2, and takes 20 ms to answer.
const site = http.createServer((req, res) => {
  const n = Number(req.url.slice('/page/'.length));
  if (!Number.isInteger(n) || n < 0 || n >= pages) {
    res.statusCode = 404;
    res.end('not found');
    return;
  }
  sleep(20);
  const links = [2 * n + 1, 2 * n + 2].filter((m) => m < pages).map((m) => `<a href="/page/${m}">${m}</a>`);
  res.setHeader('content-type', 'text/html');
  res.end(`<h1>page ${n}</h1>${links.join(' ')}`);
});
site.listen(0, '127.0.0.1');
sleep(0);
const base = `http://127.0.0.1:${site.address().port}`;

function fetchPage(url) {
  const res = http.getSync(url); // blocks this green thread only
  const body = res.text();
  const links = [...body.matchAll(/href="([^"]+)"/g)].map((m) => new URL(m[1], base).href);
  return { url, status: res.statusCode, bytes: body.length, links };
}

const started = Date.now();
const pool = new GreenPool(concurrency);
const seen = new Set([`${base}/page/0`]);
let frontier = [...seen];
let fetched = 0;
while (frontier.length > 0) {
  const next = [];
  for (const page of pool.imap(fetchPage, frontier)) {
    fetched++;
    console.log(`${page.status} ${page.url.slice(base.length)} (${page.bytes} bytes, ${page.links.length} links)`);
    for (const link of page.links) {
      if (!seen.has(link)) {
        seen.add(link);
        next.push(link);
      }
    }
  }
  frontier = next;
}
console.log(`crawled ${fetched} pages in ${Date.now() - started} ms with ${concurrency} green threads`);
site.close();
