// One connector per TLS options for the process (src/kube/tls-connector.ts); its sessions are resumed in
// pool.test.ts, against the stand-in.
import { connectorFor, keptConnectors } from '../../src/kube/tls-connector.js';

test('the same TLS options get the same connector; past 32, the one used least recently is forgotten', () => {
  const first = connectorFor({ servername: 'a.example', rejectUnauthorized: true });
  expect(connectorFor({ rejectUnauthorized: true, servername: 'a.example' })).toBe(first);
  expect(connectorFor({ servername: 'a.example', rejectUnauthorized: false })).not.toBe(first);
  // A certificate that changed on disk is other options: a connector of its own.
  const rotated = connectorFor({ servername: 'a.example', cert: Buffer.from('new') });
  expect(connectorFor({ servername: 'a.example', cert: Buffer.from('old') })).not.toBe(rotated);

  for (let i = 0; i < 40; i++) connectorFor({ servername: `host-${i}.example` });
  expect(keptConnectors()).toBe(32);
  expect(connectorFor({ servername: 'a.example', rejectUnauthorized: true })).not.toBe(first);
});
