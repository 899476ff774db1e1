// `node --import @skein/node/register app.js`: starts the kit from OTEL_* / SKEIN_*
// variables before the app's modules load, so every import is instrumented.
import { optionsFromEnv } from './options-from-env.ts';
import { start } from './start.ts';

start(optionsFromEnv());
