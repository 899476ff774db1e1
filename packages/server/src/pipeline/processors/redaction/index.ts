export { compileRedaction } from './compile-redaction.ts';
export { DETECTORS, type Detector } from './detectors.ts';
export { redactionFactory } from './redaction-factory.ts';
export { REDACTED_ATTRIBUTE, RedactionProcessor } from './redaction-processor.ts';
export { RedactionSettings, type RedactionAction } from './redaction-settings.ts';
export { searchValueFor } from './search-value.ts';
