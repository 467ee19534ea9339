// A chat server: every line a client sends goes to all the others. One green
// thread per client reads lines in a blocking loop; writing to the others is
// a blocking sendall too. The set of clients is shared without locks: green
// threads only switch where one of them blocks.
//
//   node --import greenpatch/register chat-server.mjs [port]
//   (then, in several terminals: nc 127.0.0.1 <port>)
import { listen, serve } from 'greenpatch';

const port = Number(process.argv[2] ?? 6001);
const clients = new Map(); // socket -> name

function broadcast(from, text) {
  for (const [socket, name] of clients) {
    if (name === from) continue;
    try {
      socket.sendall(`${text}\n`);
    } catch {
      clients.delete(socket); // gone; its own thread will notice too
    }
  }
}

function handle(socket) {
  socket.sendall('name? ');
  const name = socket.readLine()?.trim();
  if (!name) return;
  clients.set(socket, name);
  socket.sendall(`welcome, ${name} (${clients.size} here)\n`);
  broadcast(name, `* ${name} joined`);
  try {
    for (let line = socket.readLine(); line !== null; line = socket.readLine()) {
      if (line === '/quit') break;
      broadcast(name, `<${name}> ${line}`);
    }
  } catch {
    // connection reset: leave like a /quit
  } finally {
    clients.delete(socket);
    broadcast(name, `* ${name} left`);
  }
}

const server = listen(port, '127.0.0.1');
console.log(`chat server listening on 127.0.0.1:${server.address().port}`);
process.once('SIGINT', () => server.close());
process.once('SIGTERM', () => server.close());
serve(server, handle);
