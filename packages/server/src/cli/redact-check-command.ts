export const REDACT_CHECK_HELP = `skein redact-check: show what the redaction rules would change in a trace file (dry run)

  skein redact-check --config skein.yaml < trace.json
  The trace is OTLP JSON or a Jaeger UI download ({"data":[{"traceID", "spans", "processes"}]}).
  Exit status 0, or 2 when the config or the file cannot be used.
`;

/** `skein redact-check`: returns the exit code. */
export async function redactCheckCommand(
  _configFile: string | undefined,
  _options: Record<string, string>,
): Promise<number> {
  await Promise.resolve();
  console.error('skein redact-check: not available in this build yet');
  return 2;
}
