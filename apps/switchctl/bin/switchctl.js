#!/usr/bin/env node
// Committed entry point: npm links it at install; it runs the built program (npm run build).
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2), process.env);
