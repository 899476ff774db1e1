import type { Registry } from 'prom-client';
import { escapeLabelValue, formatSampleValue } from './metrics-format.ts';
import type { MetricsFormat } from './metrics-format.ts';

/**
 * Renders a prom-client registry in either text format from `getMetricsAsJSON()`.
 *
 * prom-client can render OpenMetrics itself, but only by switching the registry's
 * content type, and doing so renames its counters for good (the `_total` suffix is
 * stripped from the metric objects, so the next Prometheus-format scrape loses it).
 * Rendering from the JSON snapshot leaves the registry untouched and lets two
 * scrapes in different formats run at the same time.
 *
 * The text ends with `\n` and has no `# EOF` (the caller appends other families first).
 */
export async function renderRegistry(registry: Registry, format: MetricsFormat): Promise<string> {
  const families = await registry.getMetricsAsJSON();
  const openMetrics = format === 'openmetrics';
  let out = '';
  for (const family of families) {
    const type = String(family.type);
    let familyName = family.name;
    let counterSuffix = '';
    if (openMetrics && type === 'counter') {
      // OpenMetrics names the counter family without `_total` and every sample with it.
      if (familyName.endsWith('_total')) familyName = familyName.slice(0, -'_total'.length);
      counterSuffix = '_total';
    }
    out += `# HELP ${familyName} ${escapeHelp(family.help, openMetrics)}\n`;
    out += `# TYPE ${familyName} ${type}\n`;
    for (const sample of family.values) {
      const name = (sample as { metricName?: string }).metricName ?? familyName + counterSuffix;
      out += name;
      const labels = sample.labels as Record<string, string | number | undefined>;
      let first = true;
      for (const key in labels) {
        const value = labels[key];
        if (value === undefined) continue;
        out += `${first ? '{' : ','}${key}="${escapeLabelValue(String(value))}"`;
        first = false;
      }
      if (!first) out += '}';
      out += ` ${formatSampleValue(sample.value)}\n`;
    }
  }
  return out;
}

/** HELP text: both formats escape backslash and newline; OpenMetrics also the double quote. */
function escapeHelp(help: string, openMetrics: boolean): string {
  const escaped = help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return openMetrics ? escaped.replace(/"/g, '\\"') : escaped;
}
