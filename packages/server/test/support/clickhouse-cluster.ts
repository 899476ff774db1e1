import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../e2e/eventually.ts';
import { freePort } from './free-port.ts';

/**
 * A real ClickHouse cluster for tests: one ZooKeeper and `shards × replicas`
 * clickhouse-server processes (Debian's packages, see .ci/run), each from a config
 * written to a temp dir, bound to 127.0.0.1 on free ports, stopped by pid.
 *
 * ZooKeeper starts first and must answer `ruok`/`srvr` before any ClickHouse starts
 * (18.16 crashed when started before ZooKeeper served). Every process is also
 * killed when the test process exits, so a failed test leaves nothing running.
 */

export const CLICKHOUSE_SERVER = '/usr/sbin/clickhouse-server';
const JAVA = '/usr/bin/java';
const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';
const SLF4J_NOP = '/usr/share/java/slf4j-nop.jar';

/** Whether the Debian packages are installed (tests skip with a reason when not). */
export function clickhouseInstalled(): boolean {
  return existsSync(CLICKHOUSE_SERVER) && existsSync(ZOOKEEPER_JAR) && existsSync(JAVA);
}

export interface ClickHouseNode {
  shard: number;
  replica: number;
  httpPort: number;
  tcpPort: number;
  interserverPort: number;
  url: string;
  dir: string;
  process: ChildProcess | undefined;
}

export interface ClickHouseCluster {
  /** Cluster name in `remote_servers`. */
  readonly cluster: string;
  /** HTTP urls of every node, shard by shard. */
  readonly urls: string[];
  readonly nodes: ClickHouseNode[];
  readonly zookeeperPort: number;
  /** kill -9 one node (it stays down until `restartNode`). */
  killNode(node: ClickHouseNode): void;
  /** Starts a killed node again and waits until it answers. */
  restartNode(node: ClickHouseNode): Promise<void>;
  /** Stops every process (ClickHouse, then ZooKeeper) and removes the temp dir. */
  stop(): Promise<void>;
}

/** Sends a ZooKeeper four-letter word and returns the answer ('' on any failure). */
function fourLetterWord(port: number, word: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setTimeout(1000);
    socket.on('connect', () => socket.write(word));
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('end', () => resolve(answer));
    socket.on('timeout', () => {
      socket.destroy();
      resolve('');
    });
    socket.on('error', () => resolve(''));
  });
}

async function ping(url: string): Promise<boolean> {
  try {
    const r = await fetch(url + '/?query=SELECT%201', { signal: AbortSignal.timeout(1000) });
    return r.ok;
  } catch {
    return false;
  }
}

function nodeConfig(
  node: ClickHouseNode,
  cluster: string,
  nodes: ClickHouseNode[],
  zkPort: number,
): string {
  const shards = new Map<number, ClickHouseNode[]>();
  for (const n of nodes) shards.set(n.shard, [...(shards.get(n.shard) ?? []), n]);
  const remote = [...shards.values()]
    .map(
      (replicas) =>
        `<shard><internal_replication>true</internal_replication>${replicas
          .map((r) => `<replica><host>127.0.0.1</host><port>${r.tcpPort}</port></replica>`)
          .join('')}</shard>`,
    )
    .join('');
  const d = node.dir;
  return `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${d}/server.log</log><errorlog>${d}/error.log</errorlog><size>10M</size><count>1</count></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${node.httpPort}</http_port>
  <tcp_port>${node.tcpPort}</tcp_port>
  <interserver_http_port>${node.interserverPort}</interserver_http_port>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <path>${d}/data/</path>
  <tmp_path>${d}/tmp/</tmp_path>
  <user_files_path>${d}/user_files/</user_files_path>
  <format_schema_path>${d}/format_schemas/</format_schema_path>
  <users_config>${d}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <max_concurrent_queries>100</max_concurrent_queries>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <builtin_dictionaries_reload_interval>0</builtin_dictionaries_reload_interval>
  <remote_servers><${cluster}>${remote}</${cluster}></remote_servers>
  <zookeeper><node><host>127.0.0.1</host><port>${zkPort}</port></node><session_timeout_ms>6000</session_timeout_ms></zookeeper>
  <macros><shard>${String(node.shard).padStart(2, '0')}</shard><replica>r${node.replica}</replica></macros>
  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
  <merge_tree><old_parts_lifetime>10</old_parts_lifetime></merge_tree>
</yandex>
`;
}

const USERS_XML = `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage><load_balancing>in_order</load_balancing></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`;

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    const killAll = (): void => {
      for (const c of running) {
        try {
          if (c.pid !== undefined) process.kill(c.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    };
    // Synchronous: a failing or interrupted run still leaves no server behind.
    process.once('exit', killAll);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        killAll();
        process.exit(signal === 'SIGINT' ? 130 : 143);
      });
    }
  }
}

function stopProcess(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.pid !== undefined) process.kill(child.pid, signal);
  });
}

function startNodeProcess(node: ClickHouseNode): ChildProcess {
  const child = spawn(CLICKHOUSE_SERVER, [`--config-file=${node.dir}/config.xml`], {
    cwd: node.dir,
    stdio: 'ignore',
  });
  track(child);
  node.process = child;
  return child;
}

function exited(child: ChildProcess | undefined): boolean {
  return child !== undefined && (child.exitCode !== null || child.signalCode !== null);
}

/** The last lines of a node's error log, for a failure message ('' when there is none). */
function errorLogTail(node: ClickHouseNode, lines = 8): string {
  try {
    return readFileSync(join(node.dir, 'error.log'), 'utf8')
      .trimEnd()
      .split('\n')
      .slice(-lines)
      .join('\n');
  } catch {
    return '';
  }
}

/**
 * Waits until a node answers. 18.16 sometimes dies in its ZooKeeper client while
 * starting (a segfault in zkutil::ZooKeeper::createImpl, seen on a loaded machine even
 * with ZooKeeper already serving): a node that exits while starting is started
 * again, at most 5 times, and the error names the end of its error log.
 */
async function waitUntilServing(node: ClickHouseNode): Promise<void> {
  let starts = 1;
  await eventually(
    async () => {
      if (exited(node.process)) {
        if (starts >= 5) {
          throw new Error(
            `clickhouse-server ${node.url} exited ${starts} times while starting; the end of ${node.dir}/error.log:\n${errorLogTail(node)}`,
          );
        }
        starts++;
        startNodeProcess(node);
        return undefined;
      }
      return (await ping(node.url)) ? true : undefined;
    },
    `clickhouse-server ${node.url} to answer`,
    60_000,
  );
}

export interface ClusterOptions {
  shards?: number;
  replicas?: number;
  cluster?: string;
}

/** Starts ZooKeeper, then every ClickHouse node, and waits until all of them answer. */
export async function startClickHouseCluster(
  options: ClusterOptions = {},
): Promise<ClickHouseCluster> {
  const shards = options.shards ?? 2;
  const replicas = options.replicas ?? 2;
  const cluster = options.cluster ?? 'skein';
  const root = mkdtempSync(join(tmpdir(), 'skein-clickhouse-'));
  const nodes: ClickHouseNode[] = [];
  let zookeeper: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    // SIGKILL: the data dir is removed next, and a graceful stop costs seconds per node.
    await Promise.all(nodes.map((n) => stopProcess(n.process, 'SIGKILL')));
    await stopProcess(zookeeper, 'SIGTERM');
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const zkPort = await freePort();
    const zkDir = join(root, 'zookeeper');
    mkdirSync(join(zkDir, 'data'), { recursive: true });
    writeFileSync(
      join(zkDir, 'zoo.cfg'),
      [
        'tickTime=500',
        `dataDir=${zkDir}/data`,
        `clientPort=${zkPort}`,
        'clientPortAddress=127.0.0.1',
        'admin.enableServer=false',
        '4lw.commands.whitelist=ruok,srvr',
        'maxSessionTimeout=60000',
        '',
      ].join('\n'),
    );
    zookeeper = spawn(
      JAVA,
      [
        '-Xmx128m',
        '-cp',
        `${ZOOKEEPER_JAR}:${SLF4J_NOP}`,
        'org.apache.zookeeper.server.ZooKeeperServerMain',
        join(zkDir, 'zoo.cfg'),
      ],
      { cwd: zkDir, stdio: 'ignore' },
    );
    track(zookeeper);
    await eventually(
      async () => ((await fourLetterWord(zkPort, 'srvr')).includes('Mode:') ? true : undefined),
      'ZooKeeper to serve (srvr)',
      30_000,
    );

    for (let s = 1; s <= shards; s++) {
      for (let r = 1; r <= replicas; r++) {
        const httpPort = await freePort();
        const dir = join(root, `ch-${s}-${r}`);
        mkdirSync(dir, { recursive: true });
        nodes.push({
          shard: s,
          replica: r,
          httpPort,
          tcpPort: await freePort(),
          interserverPort: await freePort(),
          url: `http://127.0.0.1:${httpPort}`,
          dir,
          process: undefined,
        });
      }
    }
    for (const node of nodes) {
      writeFileSync(join(node.dir, 'config.xml'), nodeConfig(node, cluster, nodes, zkPort));
      writeFileSync(join(node.dir, 'users.xml'), USERS_XML);
      startNodeProcess(node);
    }
    await Promise.all(nodes.map((n) => waitUntilServing(n)));
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    cluster,
    urls: nodes.map((n) => n.url),
    nodes,
    zookeeperPort: 0,
    killNode(node) {
      if (node.process?.pid !== undefined) process.kill(node.process.pid, 'SIGKILL');
    },
    async restartNode(node) {
      await stopProcess(node.process, 'SIGKILL');
      startNodeProcess(node);
      await waitUntilServing(node);
    },
    stop,
  };
}
