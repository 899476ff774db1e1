export { DedupeFilter } from './dedupe-filter.ts';
export { DedupeMetrics } from './dedupe-metrics.ts';
export { compileDedupeSettings, type DedupeSettings } from './dedupe-settings.ts';
export { FingerprintWindow } from './fingerprint-window.ts';
export { fingerprintSpan, type Fingerprint } from './span-fingerprint.ts';
