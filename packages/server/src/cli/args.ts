/** The parsed command line of `skein`. */
export interface CliArgs {
  command:
    | 'all'
    | 'collector'
    | 'query'
    | 'ingester'
    | 'tracegen'
    | 'redact-check'
    | 'schema'
    | 'help'
    | 'version';
  /** The word after a command that has subcommands (`schema init`). */
  subcommand?: string;
  configFile: string | undefined;
  /** `--a.b=c` or `--a.b c` settings: config overrides for roles, options for tracegen. */
  options: Record<string, string>;
}

/** Options that may be given several times (tracegen's `--break`, `--skew`): values join with ','. */
const REPEATABLE = new Set(['break', 'skew']);

const COMMANDS = new Set([
  'all',
  'collector',
  'query',
  'ingester',
  'tracegen',
  'redact-check',
  'schema',
  'help',
  'version',
]);

/**
 * Parses `skein [command] [--config FILE] [--key=value | --key value]...`.
 * @throws Error with a message that says what was wrong (the CLI prints it with --help's hint).
 */
export function parseArgs(argv: readonly string[]): CliArgs {
  let command: CliArgs['command'] = 'all';
  let configFile: string | undefined;
  const options: Record<string, string> = {};
  let i = 0;
  if (argv.length > 0 && !argv[0].startsWith('-')) {
    if (!COMMANDS.has(argv[0])) {
      throw new Error(
        `unknown command "${argv[0]}"; commands are: all, collector, query, ingester, tracegen, redact-check, schema`,
      );
    }
    command = argv[0] as CliArgs['command'];
    i = 1;
  }
  let subcommand: string | undefined;
  if (command === 'schema') {
    if (argv[1] !== 'init') {
      throw new Error(`"skein schema" needs a subcommand: skein schema init [--config FILE]`);
    }
    subcommand = 'init';
    i = 2;
  }
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return { command: 'help', configFile, options };
    if (arg === '--version' || arg === '-v') return { command: 'version', configFile, options };
    if (!arg.startsWith('--') || arg.length === 2) {
      throw new Error(`unexpected argument "${arg}"; settings are given as --key=value`);
    }
    const eq = arg.indexOf('=');
    let key: string;
    let value: string;
    if (eq > 0) {
      key = arg.slice(2, eq);
      value = arg.slice(eq + 1);
    } else {
      key = arg.slice(2);
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) {
        throw new Error(`--${key} needs a value`);
      }
      value = next;
      i++;
    }
    if (key === 'config') configFile = value;
    else if (REPEATABLE.has(key) && key in options) options[key] += `,${value}`;
    else options[key] = value;
  }
  return subcommand === undefined
    ? { command, configFile, options }
    : { command, subcommand, configFile, options };
}
