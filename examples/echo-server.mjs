// The eventlet echo server: one green thread per client, each written as a
// plain blocking loop (recv, then sendall) — no callbacks, no await.
//
//   node --import greenpatch/register echo-server.mjs [port]
//   (then: nc 127.0.0.1 <port>)
//
// serve() accepts in the main green thread and runs handle() for each client
// in a green thread of its own; thousands of clients share one OS thread.
import { listen, serve } from 'greenpatch';

const port = Number(process.argv[2] ?? 6000);

function handle(socket, address) {
  console.log(`${address.address}:${address.port} connected`);
  for (;;) {
    const data = socket.recv(); // blocks this client's green thread only
    if (data.length === 0) break; // the client closed its side
    socket.sendall(data); // returns once the kernel has it all
  }
  console.log(`${address.address}:${address.port} left`);
}

const server = listen(port, '127.0.0.1');
console.log(`echo server listening on 127.0.0.1:${server.address().port}`);
process.once('SIGINT', () => server.close());
process.once('SIGTERM', () => server.close());
serve(server, handle); // returns once the server is closed
console.log('echo server stopped');
