// How connections to an API server are opened: undici's own connector, given one TLS context and the
// session of the last connection to that server with those credentials, kept for the life of the process.
//
// Why: a TLS handshake costs both ends CPU. The client builds a SecureContext from the CA, certificate and
// key (about 0.3 ms here) and checks the server's certificate chain and name (about 0.3 ms); the server
// signs the handshake with its key (RSA: about 0.4 ms). A process that runs stage after stage (a library
// user, the bench) opened and verified a new context for every run's pool.
// With the context kept, and the last session offered for resumption (TLS 1.3 session tickets, which
// kube-apiserver's Go TLS stack issues by default), a later connection skips the context, the certificate
// checks and the server's signature; the server still decides: a ticket it no longer accepts means a full
// handshake, as before.
//
// Kept by what the connection is made of (the CA, the client certificate and key as client-node reads them,
// the TLS name, the verification setting), hashed: a rotated certificate or key file makes a new connector.
import { createHash } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import { buildConnector, type UndiciConnectOptions, type UndiciConnector } from './client-node.js';

/** The connect options client-node's createDispatcherOptions gives for a direct (not proxied) server. */
export type ConnectOptions = UndiciConnectOptions;

const connectors = new Map<string, UndiciConnector>();

/**
 * How many connectors the process keeps: a process that meets ever new credentials (a rotated certificate
 * file, many users) forgets the one used least recently rather than keep them all.
 */
const KEPT = 32;

/** How many connectors the process keeps (for tests). */
export function keptConnectors(): number {
  return connectors.size;
}

function identityOf(options: ConnectOptions): string {
  const hash = createHash('sha256');
  for (const [name, value] of Object.entries(options).sort(([a], [b]) => a.localeCompare(b))) {
    hash.update(name).update('\0');
    if (Buffer.isBuffer(value)) hash.update(value);
    else hash.update(JSON.stringify(value) ?? 'undefined');
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** The connector for these options: made once, then shared by every pool opened with them. */
export function connectorFor(options: ConnectOptions): UndiciConnector {
  const key = identityOf(options);
  const connector = connectors.get(key) ?? resumingConnector(options);
  // Kept in the order of use: the first key is the one used least recently.
  connectors.delete(key);
  connectors.set(key, connector);
  if (connectors.size > KEPT) connectors.delete(connectors.keys().next().value!);
  return connector;
}

/**
 * undici's connector (its timeouts, keep-alive, ALPN with HTTP/2), over one SecureContext, offering the
 * session the last connection to the same address received. undici's own session cache holds sessions
 * weakly (a session seldom outlives the run that made it) and by host name alone (servers on one host at
 * different ports would be offered each other's).
 */
function resumingConnector(options: ConnectOptions): UndiciConnector {
  const secureContext = contextOf(options);
  const sessions = new Map<string, Buffer>();
  return (target, callback) => {
    const address = `${target.hostname}:${target.port} ${target.servername ?? options.servername ?? ''}`;
    const session = sessions.get(address);
    const connect = buildConnector({ ...options, allowH2: true, secureContext, session });
    const socket = connect(target, callback);
    socket.on('session', (received: Buffer) => sessions.set(address, received));
    return socket;
  };
}

/**
 * The TLS context, or none when the CA, certificate or key cannot make one: each connection then fails in
 * node:tls as it did before this connector (and as a client without it does), with the same message.
 */
function contextOf(options: ConnectOptions): SecureContext | undefined {
  try {
    return createSecureContext(options);
  } catch {
    return undefined;
  }
}
