import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:http2';
import { describe, test } from 'node:test';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { defaultConfig } from '../config/config.ts';
import { grpcServerOptions } from './grpc-server-options.ts';

describe('grpcServerOptions', () => {
  test('maps limits.grpc to grpc-js options, leaving 0 (unlimited, never) out', () => {
    assert.deepEqual(grpcServerOptions(defaultConfig.limits.grpc, 1024), {
      'grpc.max_receive_message_length': 1024,
      'grpc.keepalive_time_ms': 2 * 60 * 60 * 1000,
      'grpc.keepalive_timeout_ms': 20_000,
      'grpc.max_concurrent_streams': 100,
    });
    const all = grpcServerOptions(
      {
        maxConcurrentStreams: 0,
        keepaliveTimeMs: 1000,
        keepaliveTimeoutMs: 500,
        maxConnectionIdleMs: 60_000,
        maxConnectionAgeMs: 600_000,
      },
      4096,
    );
    assert.equal(all['grpc.max_concurrent_streams'], undefined);
    assert.equal(all['grpc.max_connection_idle_ms'], 60_000);
    assert.equal(all['grpc.max_connection_age_ms'], 600_000);
  });

  test('a real grpc-js server announces maxConcurrentStreams in its HTTP/2 settings', async () => {
    const limits = { ...defaultConfig.limits.grpc, maxConcurrentStreams: 7 };
    const server = new Server(grpcServerOptions(limits, 1024));
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, bound) =>
        err ? reject(err) : resolve(bound),
      ),
    );
    const session = connect(`http://127.0.0.1:${port}`);
    try {
      const [settings] = (await once(session, 'remoteSettings')) as [
        { maxConcurrentStreams?: number },
      ];
      assert.equal(settings.maxConcurrentStreams, 7);
    } finally {
      session.destroy();
      server.forceShutdown();
    }
  });
});
