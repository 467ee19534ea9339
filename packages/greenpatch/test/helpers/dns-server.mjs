// A tiny DNS server on 127.0.0.1 (UDP) for tests: answers A queries for
// names in `records` and NXDOMAIN for everything else, so that the resolve*
// family can be tested without any network.
import dgram from 'node:dgram';

function readName(buffer, offset) {
  const labels = [];
  for (;;) {
    const length = buffer[offset++];
    if (length === 0) break;
    labels.push(buffer.toString('ascii', offset, offset + length));
    offset += length;
  }
  return { name: labels.join('.'), end: offset };
}

/**
 * Starts the server; resolves with `{ address, queried, close() }`, address
 * as 'host:port' for setServers, `queried` the names asked so far.
 */
export function startDnsServer(records) {
  const socket = dgram.createSocket('udp4');
  const queried = [];
  socket.on('message', (query, peer) => {
    const { name, end } = readName(query, 12);
    queried.push(name);
    const type = query.readUInt16BE(end);
    const question = query.subarray(12, end + 4);
    const addresses = type === 1 ? records[name.toLowerCase()] : undefined;
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2); // id
    // QR, opcode 0, RD copied, RA; rcode 3 (NXDOMAIN) when nothing is known.
    header.writeUInt16BE(0x8180 | (query[2] & 0x01) << 8 | (addresses === undefined ? 3 : 0), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(addresses?.length ?? 0, 6);
    const answers = (addresses ?? []).map((ip) => {
      const answer = Buffer.alloc(16);
      answer.writeUInt16BE(0xc00c, 0); // pointer to the question's name
      answer.writeUInt16BE(1, 2); // A
      answer.writeUInt16BE(1, 4); // IN
      answer.writeUInt32BE(60, 6); // TTL
      answer.writeUInt16BE(4, 10);
      ip.split('.').forEach((part, i) => (answer[12 + i] = Number(part)));
      return answer;
    });
    socket.send(Buffer.concat([header, question, ...answers]), peer.port, peer.address);
  });
  return new Promise((resolve) => {
    socket.bind(0, '127.0.0.1', () => {
      resolve({
        address: `127.0.0.1:${socket.address().port}`,
        queried,
        close: () => new Promise((r) => socket.close(r)),
      });
    });
  });
}
