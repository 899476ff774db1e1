import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { ServerCredentials } from '@grpc/grpc-js';
import { experimental, type experimental as Experimental } from '@grpc/grpc-js';
import type { TlsFiles, TlsMaterial } from './tls-files.ts';

/** Throws when the material cannot be served (key does not match, not PEM...). */
export function checkTlsMaterial(material: TlsMaterial): void {
  createSecureContext({ cert: material.cert, key: material.key, ca: material.ca });
}

/**
 * Puts TLS in front of a node:http server (a raw one or a Fastify app's) that is not
 * listening yet: its TCP connections go through a `tls.Server` first (handshake,
 * minimum version, client certificates when `requireClientCert`), and only secured
 * sockets reach HTTP. New certificates are taken with `setSecureContext` when the
 * files change; connections already open keep theirs.
 */
export function serveTls(server: HttpServer, files: TlsFiles, requireClientCert: boolean): void {
  const options = (m: TlsMaterial) => ({
    cert: m.cert,
    key: m.key,
    ...(requireClientCert ? { ca: m.ca } : {}),
    minVersion: files.settings.minVersion,
  });
  const tlsServer = createTlsServer({
    ...options(files.material),
    requestCert: requireClientCert,
    rejectUnauthorized: requireClientCert,
    ALPNProtocols: ['http/1.1'],
  });
  files.onChange((m) => tlsServer.setSecureContext(options(m)));
  const http = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => tlsServer.emit('connection', socket));
  tlsServer.on('secureConnection', (socket: TLSSocket) => {
    for (const listener of http) listener.call(server, socket);
  });
  // A failed handshake (plain HTTP, an unknown client certificate) just closes.
  tlsServer.on('tlsClientError', (_err: Error, socket: TLSSocket) => socket.destroy());
}

type CertificateProvider = Experimental.CertificateProvider;
type IdentityListener = Experimental.IdentityCertificateUpdateListener;
type CaListener = Experimental.CaCertificateUpdateListener;

/** grpc-js's certificate provider contract over TlsFiles (updates pushed on reload). */
class FilesCertificateProvider implements CertificateProvider {
  readonly #files: TlsFiles;
  readonly #identity = new Set<IdentityListener>();
  readonly #ca = new Set<CaListener>();

  constructor(files: TlsFiles) {
    this.#files = files;
    files.onChange((m) => {
      for (const l of this.#identity) l({ certificate: m.cert, privateKey: m.key });
      for (const l of this.#ca) l(m.ca === undefined ? null : { caCertificate: m.ca });
    });
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.#identity.add(listener);
    // Later, not now: grpc-js subscribes its providers before it registers the
    // server's watcher, so an update delivered at once would never reach the server.
    queueMicrotask(() => {
      const m = this.#files.material;
      if (this.#identity.has(listener)) listener({ certificate: m.cert, privateKey: m.key });
    });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.#identity.delete(listener);
  }

  addCaCertificateListener(listener: CaListener): void {
    this.#ca.add(listener);
    queueMicrotask(() => {
      const ca = this.#files.material.ca;
      if (this.#ca.has(listener)) listener(ca === undefined ? null : { caCertificate: ca });
    });
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.#ca.delete(listener);
  }
}

/**
 * grpc-js server credentials from the files, following reloads; with
 * `requireClientCert`, clients must present a certificate the client CA signed.
 * (grpc-js applies Node's minimum, TLS 1.2, which HTTP/2 requires anyway.)
 */
export function grpcServerCredentials(
  files: TlsFiles,
  requireClientCert: boolean,
): ServerCredentials {
  const provider = new FilesCertificateProvider(files);
  // grpc-js 1.14 hands its first argument on as the identity provider and its
  // second as the CA provider (the declared parameter names are the other way round).
  const create = experimental.createCertificateProviderServerCredentials as unknown as (
    identity: CertificateProvider,
    ca: CertificateProvider | null,
    requireClientCertificate: boolean,
  ) => ServerCredentials;
  return create(provider, requireClientCert ? provider : null, requireClientCert);
}
