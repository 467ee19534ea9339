import { DatagramServer, spawn, sleep } from 'greenpatch';
spawn(() => {
  const first = new DatagramServer('127.0.0.1:0', () => {});
  first.start();
  const serving = spawn(() => { try { first.serveForever(); } catch (e) { console.log('sf threw', e.code, first.closed); throw e; } });
  sleep(1);
  console.log('started?', serving.started, first.closed);
  serving.kill();
  try { serving.wait(); } catch (e) { console.log('wait threw', e.code); }
  console.log(first.closed);
});
