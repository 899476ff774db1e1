import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { RedactionRules } from './redaction-rules.ts';

/**
 * Applies {@link RedactionRules} to each span as it ends (`onEnding`, before it
 * becomes read-only and reaches any exporter), so what the rules match never leaves
 * the process: span attributes, event attributes and names, and the status message.
 * Register it before the export processor. Per span it allocates nothing when no
 * rule matches.
 */
export class RedactingSpanProcessor implements SpanProcessor {
  readonly #rules: RedactionRules;

  constructor(rules: RedactionRules) {
    this.#rules = rules;
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnding(span: Span): void {
    if (!this.#rules.active) return;
    redactAttributes(this.#rules, span.attributes as Record<string, unknown>);
    for (const event of span.events) {
      const name = this.#rules.redactText(event.name);
      if (name !== event.name) (event as { name: string }).name = name;
      if (event.attributes !== undefined)
        redactAttributes(this.#rules, event.attributes as Record<string, unknown>);
    }
    const message = span.status.message;
    if (message !== undefined && message !== '') {
      const redacted = this.#rules.redactText(message);
      if (redacted !== message) span.status.message = redacted;
    }
  }

  onEnd(_span: ReadableSpan): void {}

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}

function redactAttributes(rules: RedactionRules, attributes: Record<string, unknown>): void {
  for (const key in attributes) {
    const value = attributes[key];
    const redacted = rules.redact(key, value);
    if (redacted === undefined) delete attributes[key];
    else if (redacted !== value) attributes[key] = redacted;
  }
}
