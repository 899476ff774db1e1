#!/usr/bin/env node
// The `skein` command. A committed launcher (rather than pointing `bin` at dist/) so
// npm links it at install time, before `prepare` has built dist/.
import '../dist/cli/main.js';
