#!/usr/bin/env node
// The `sightline` command. The CLI is TypeScript; tsx compiles it on the fly so it works right after `npm install`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../electron/cli.ts');
process.exitCode = await main(process.argv.slice(2));
